"""The update step: SGD, and Adam with bias correction (seed 003), as maths on parameters and gradients.

Adam (Kingma and Ba), for each parameter θ with gradient g at step k::

    V_k = β1·V_{k-1} + (1 - β1)·g          S_k = β2·S_{k-1} + (1 - β2)·g²
    V̂_k = V_k / (1 - β1^k)                 Ŝ_k = S_k / (1 - β2^k)
    θ ← θ - α·V̂_k / (√Ŝ_k + ε)

Seed 003 writes the last line with ε under the root, α·V̂/√(Ŝ + ε); pass
``eps_inside_sqrt=True`` for that variant. :mod:`symbrnn.render.optimizers`
writes each step out with its numbers.

Examples
--------
>>> SGD(lr=0.1).step({"w": 0.5}, {"w": -0.2})
{'w': 0.52}
>>> new, state = Adam(lr=0.01).step({"w": 0.5}, {"w": -0.2})
>>> round(new["w"], 10), state.k, round(state.V["w"], 10), round(state.S["w"], 10)
(0.51, 1, -0.02, 4e-05)

Every parameter shape works, element by element:

>>> import numpy as np
>>> new, state = Adam(lr=0.01).step({"W": np.ones((2, 2))}, {"W": np.array([[1.0, -1.0], [0.0, 2.0]])})
>>> new["W"].round(6)
array([[0.99, 1.01],
       [1.  , 0.99]])
>>> SGD(lr=0.5).step({"b": np.array([1.0, 2.0])}, {"b": np.array([2.0, 2.0])})["b"]
array([0., 1.])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SGD", "Adam", "AdamMoments", "AdamState"]


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent: θ ← θ - η·dL/dθ.

    Parameters
    ----------
    lr : float
        The learning rate η.
    """

    lr: float = 0.1

    def step(self, params: dict, grads: dict) -> dict:
        """The new parameters (numbers or arrays, each of its own shape)."""
        return {k: _number(_number(params[k]) - self.lr * _number(grads[k])) for k in params}


@dataclass
class AdamState:
    """Adam's running moments per parameter (V: first, S: second) after ``k`` steps."""

    k: int = 0
    V: dict = field(default_factory=dict)
    S: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AdamMoments:
    """One parameter's Adam step: step number k, moments before (V0, S0) and after, bias-corrected, new value."""

    k: int
    V0: float
    S0: float
    V: float
    S: float
    V_hat: float
    S_hat: float
    new: float


@dataclass(frozen=True)
class Adam:
    """Adam with bias correction.

    Parameters
    ----------
    lr : float
        The step size α.
    beta1, beta2 : float
        Decay rates of the first (V) and second (S) moments.
    eps : float
    eps_inside_sqrt : bool
        Use α·V̂/√(Ŝ + ε) (seed 003) instead of α·V̂/(√Ŝ + ε).
    """

    lr: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    eps_inside_sqrt: bool = False

    def moments(self, name: str, theta, g, state: AdamState | None = None) -> AdamMoments:
        """Every number of one parameter's step from ``state`` (zero moments by default).

        ``theta`` and ``g`` are numbers or arrays of one shape; the moments have that shape (floats for a
        scalar), and each entry is updated on its own."""
        state = state or AdamState()
        theta, g = _number(theta), _number(g)
        if np.shape(theta) != np.shape(g):
            raise ValueError(f"Adam: {name!r} has shape {np.shape(theta)} but its gradient {np.shape(g)}")
        k = state.k + 1
        V0, S0 = _number(state.V.get(name, 0 * g)), _number(state.S.get(name, 0 * g))
        V = self.beta1 * V0 + (1 - self.beta1) * g
        S = self.beta2 * S0 + (1 - self.beta2) * g * g
        Vh, Sh = V / (1 - self.beta1 ** k), S / (1 - self.beta2 ** k)
        denom = np.sqrt(Sh + self.eps) if self.eps_inside_sqrt else np.sqrt(Sh) + self.eps
        return AdamMoments(k, V0, S0, V, S, Vh, Sh, _number(theta - self.lr * Vh / denom))

    def step(self, params: dict, grads: dict, state: AdamState | None = None) -> tuple[dict, AdamState]:
        """The new parameters and moments after one step from ``state`` (zero moments by default)."""
        state = state or AdamState()
        new, out = {}, AdamState(state.k + 1)
        for name in params:
            m = self.moments(name, params[name], grads[name], state)
            new[name], out.V[name], out.S[name] = m.new, m.V, m.S
        return new, out


def _number(v):
    """A float for a scalar (plain or 0-d), else a float array."""
    arr = np.asarray(v, dtype=float)
    return float(arr) if arr.ndim == 0 else arr
