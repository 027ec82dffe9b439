"""Fast LSTM/GRU time loops with hand-written VJPs (pure functions, time-major).

The layer hoists the input projection `gx = x @ W_ih + b_ih` out of the loop (one big matmul whose
autodiff already gives `dW_ih` as one big matmul). What is left, the recurrence, is what these
functions compute. Autodiff of `lax.scan` is slow on CPU: its backward loop runs many small
per-step ops and accumulates `dW_hh` with one small matmul per step. Here the forward scan saves
what the backward needs in a few stacked arrays (LSTM: the four gate activations and c, each
[T, B, H]; GRU: gradient coefficients [T, B, 5H]) plus the h states, the reverse scan computes only the
per-step pre-activation gradients `dz_t` and `dh_{t-1} = dz_t @ W_hh^T`, and the weight gradient
is ONE matmul over all steps: `dW_hh = H_prev^T @ dZ` ([H, T*B] x [T*B, G*H]).
Zero cotangents are skipped (symbolic zeros): a loss on the final state only never builds dhs.

Masking: `valid[t, b]` says whether step t of sequence b is real. On an invalid step the state is
frozen and the output is 0; in the backward pass such a step passes the state gradient straight
through and contributes nothing to any weight gradient. Any mask works, not only prefixes.

Variational recurrent dropout: `h_mask` [B, H] multiplies h only where it enters the recurrent
matmul; the state itself is not masked. Gradients w.r.t. `h_mask` are exact (computed only when
`h_mask` is being differentiated).

Dtypes: the loop computes in float32 when `gx` is bfloat16/float16 (XLA:CPU runs 16-bit
elementwise code about 10x slower, and the cell state keeps its precision), else in `gx`'s dtype
(float32, or float64 under `jax.enable_x64`). `w_hh`, `h0`, ... are cast to that dtype; outputs
and dgx come back in `gx`'s dtype, the other gradients in their arguments' dtypes. The references
follow the same rule, so fast == reference in every dtype.

Gate orders: LSTM i, f, g, o on every 4H axis; GRU r, z, n on every 3H axis (reset-after, the
cuDNN/PyTorch formulation).
"""
from rnnjax.fast.gru import gru_recurrence, gru_recurrence_reference
from rnnjax.fast.lstm import lstm_recurrence, lstm_recurrence_reference

__all__ = ["gru_recurrence", "gru_recurrence_reference", "lstm_recurrence",
           "lstm_recurrence_reference"]
