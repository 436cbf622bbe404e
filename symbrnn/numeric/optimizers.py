"""The update step: SGD, and Adam with bias correction (seed 003), as maths on parameters and gradients.

Adam (Kingma and Ba), for each parameter θ with gradient g at step k::

    V_k = β1·V_{k-1} + (1 - β1)·g          S_k = β2·S_{k-1} + (1 - β2)·g²
    V̂_k = V_k / (1 - β1^k)                 Ŝ_k = S_k / (1 - β2^k)
    θ ← θ - α·V̂_k / (√Ŝ_k + ε)

Seed 003 writes the last line with ε under the root, α·V̂/√(Ŝ + ε); pass
``eps_inside_sqrt=True`` for that variant. :mod:`symbrnn.render.optimizers`
writes each step out with its numbers.

Either optimizer takes ``clip=κ``: before the step, every gradient is scaled
by s = min(1, κ/(‖g‖ + 10⁻⁶)), with ‖g‖ the 2-norm of all the step's
gradients together, as ``torch.nn.utils.clip_grad_norm_`` does
(:func:`clip_by_norm`). The direction is kept; only a long step is shortened.

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

Clipping by norm: the gradients (3, 4) have norm 5, so with κ = 1 they are
scaled by about 1/5:

>>> c = clip_by_norm({"w": 3.0, "u": np.array([4.0])}, 1.0)
>>> round(c.norm, 6), round(c.scale, 6), round(c.grads["w"], 6), c.clipped
(5.0, 0.2, 0.6, True)
>>> SGD(lr=1.0, clip=1.0).step({"w": 0.0, "u": np.array([0.0])}, {"w": 3.0, "u": np.array([4.0])})["u"].round(6)
array([-0.8])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import errors

__all__ = ["CLIP_EPS", "SGD", "Adam", "AdamMoments", "AdamState", "Clipping", "clip_by_norm"]

CLIP_EPS = 1e-6  # added to the norm before dividing, as torch.nn.utils.clip_grad_norm_ does


@dataclass(frozen=True)
class Clipping:
    """One clipping by norm: the gradients' joint norm, the bound ``max_norm``, the scale and the result.

    Attributes
    ----------
    norm : float
        ‖g‖, the 2-norm of every gradient's entries together.
    max_norm : float
        The bound κ.
    scale : float
        s = min(1, κ/(‖g‖ + 10⁻⁶)); every gradient is multiplied by it.
    grads : dict
        θ -> s·dL/dθ, each of its own shape.
    given : dict
        θ -> dL/dθ, the gradients before clipping.
    """

    norm: float
    max_norm: float
    scale: float
    grads: dict
    given: dict

    @property
    def clipped(self) -> bool:
        """Whether the gradients were shortened (s < 1)."""
        return self.scale < 1.0


def clip_by_norm(grads: dict, max_norm: float) -> Clipping:
    """Scale ``grads`` so that their joint 2-norm is at most ``max_norm`` (torch's ``clip_grad_norm_``).

    Parameters
    ----------
    grads : dict
        θ -> dL/dθ, numbers or arrays.
    max_norm : float
        The bound κ > 0.

    Returns
    -------
    Clipping
        The norm, the scale s = min(1, κ/(‖g‖ + 10⁻⁶)) and the scaled gradients.

    Examples
    --------
    >>> clip_by_norm({"w": 0.3}, 1.0).scale
    1.0
    """
    _check_clip(max_norm)
    arrays = {k: _number(v) for k, v in grads.items()}
    norm = float(np.sqrt(sum(float(np.sum(np.square(a))) for a in arrays.values())))
    if not np.isfinite(norm):
        raise errors.ValuesError(f"clip_by_norm: the gradients' norm is {norm}; clipping needs finite gradients")
    scale = min(1.0, float(max_norm) / (norm + CLIP_EPS))
    return Clipping(norm, float(max_norm), scale, {k: _number(scale * a) for k, a in arrays.items()}, arrays)


def _check_clip(clip) -> None:
    if clip is None:
        return
    if isinstance(clip, bool) or not isinstance(clip, (int, float, np.floating, np.integer)) \
            or not np.isfinite(clip) or clip <= 0:
        raise errors.SpecError(f"clip={clip!r}: give the largest gradient norm allowed, a positive number")


def _clipped(grads: dict, clip) -> dict:
    return grads if clip is None else clip_by_norm(grads, clip).grads


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent: θ ← θ - η·dL/dθ.

    Parameters
    ----------
    lr : float
        The learning rate η.
    clip : float, optional
        Clip the gradients by their joint norm to at most this before the step (:func:`clip_by_norm`).
    """

    lr: float = 0.1
    clip: float | None = None

    def __post_init__(self):
        _check_clip(self.clip)

    def step(self, params: dict, grads: dict) -> dict:
        """The new parameters (numbers or arrays, each of its own shape)."""
        grads = _clipped({k: grads[k] for k in params}, self.clip)
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
    clip : float, optional
        Clip the gradients by their joint norm to at most this before the step (:func:`clip_by_norm`);
        :meth:`moments` takes one gradient as given, so pass it the clipped one.
    """

    lr: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    eps_inside_sqrt: bool = False
    clip: float | None = None

    def __post_init__(self):
        _check_clip(self.clip)

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
        grads = _clipped({k: grads[k] for k in params}, self.clip)
        for name in params:
            m = self.moments(name, params[name], grads[name], state)
            new[name], out.V[name], out.S[name] = m.new, m.V, m.S
        return new, out


def _number(v):
    """A float for a scalar (plain or 0-d), else a float array."""
    arr = np.asarray(v, dtype=float)
    return float(arr) if arr.ndim == 0 else arr
