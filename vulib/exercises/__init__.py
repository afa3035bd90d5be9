"""Exercise checkers: compare a learner's answer with a reference and explain the gap.

Every exercise in the notebooks ends with a checker call.  A checker either prints a
short ``✓ name: correct`` line and returns ``True``, or raises :class:`ExerciseError`
with a message that says *what* is wrong and *by how much*::

    >>> check_tensor(torch.zeros(3, 2), torch.zeros(2, 3), "frames")
    Traceback (most recent call last):
    ...
    ExerciseError: frames: expected shape (2, 3), got (3, 2) ...

The generic checkers:

* :func:`check_tensor` -- tensors, NumPy arrays, nested lists (shape, dtype, NaNs, values);
* :func:`check_scalar` -- numbers, with a "factor of 1000" hint for unit mistakes;
* :func:`check_equal` -- exact things (shapes, strings, ints, lists) with a readable diff;
* :func:`check_function` -- runs a learner's function and a reference on test cases.

Notebook-specific checkers live in ``vulib/exercises/nb00.py``, ``nb01.py``, ...; each
registers itself with :func:`exercise`, together with the correct answer and a few
plausible wrong ones, so the test suite can prove that every checker accepts the
reference and rejects each wrong answer.  Importing this package imports every
``nb*.py`` module in it, so registration is automatic.

A checker never shows the expected answer of a value exercise (a set of model names, say):
it names what is wrong in the learner's own answer and how many are missing.  Each pass is
recorded locally for self-study: :func:`progress` shows, per lesson, which exercises are
done (see :mod:`vulib.exercises.selfstudy`; ``$VULIB_PROGRESS_FILE`` moves or disables it).
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib
import io
import math
import numbers
import pkgutil
import re
from contextlib import redirect_stdout
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import torch

__all__ = [
    "ExerciseError",
    "Passed",
    "check_tensor",
    "check_scalar",
    "check_equal",
    "check_function",
    "exercise",
    "Exercise",
    "EXERCISES",
    "progress",
    "reset_progress",
    "report_prediction",
    "agrees_within",
]


class ExerciseError(AssertionError):
    """An answer is wrong; the message says what is wrong and by how much."""


# --------------------------------------------------------------------------- helpers
def report_prediction(
    prediction: Any, measured: Any, what: str, where: str, *, agrees: Callable[[Any, Any], bool] | None = None
) -> None:
    """After a predict-then-verify exercise passed: print the learner's prediction beside the measurement.

    A prediction is never graded (the measurement is); a wrong one is the point of the exercise, so the
    line says where the lesson explains the result. ``None`` means no prediction was written; ``agrees(prediction,
    measured)`` decides whether they agree (default: equality), e.g. a tolerance for numbers.
    """
    if prediction is None:
        print(f"  {what}: measured {measured} (no prediction written: next time write it down before running)")
    elif (agrees or (lambda a, b: a == b))(prediction, measured):
        print(f"  {what}: you predicted {prediction!r}, measured {measured!r}: as predicted")
    else:
        print(f"  {what}: you predicted {prediction!r}, measured {measured!r}: a surprise worth a minute; {where}")


def agrees_within(tol: float = 0.0) -> Callable[[Any, Any], bool]:
    """An ``agrees`` for :func:`report_prediction`: numbers within ``tol`` of each other, words equal up to case and
    spaces, sequences (a list and a tuple alike) and dicts item by item."""

    def agree(a: Any, b: Any) -> bool:
        if isinstance(a, str) or isinstance(b, str):
            return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower()
        if isinstance(a, dict) or isinstance(b, dict):
            return (
                isinstance(a, dict)
                and isinstance(b, dict)
                and a.keys() == b.keys()
                and all(agree(a[k], b[k]) for k in b)
            )
        if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
            return (
                isinstance(a, (list, tuple))
                and isinstance(b, (list, tuple))
                and len(a) == len(b)
                and all(map(agree, a, b))
            )
        x, y = _as_number(a), _as_number(b)
        return x is not None and y is not None and abs(x - y) <= tol

    return agree


def _fmt_num(x: float | int) -> str:
    """A short, readable number: ``1500000000`` -> ``1.5e9``, ``0.25`` -> ``0.25``."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, numbers.Integral) and abs(int(x)) < 10**6:
        return str(int(x))
    x = float(x) if not isinstance(x, numbers.Integral) else x
    short = f"{x:.6g}"
    if float(short) != x and isinstance(x, numbers.Integral):
        return str(int(x))  # an exact integer that 6 digits would round
    mantissa, _, exponent = short.partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else short


def _fmt_pair(expected: float, got: float) -> tuple[str, str]:
    """Format two numbers so that they never look identical when they differ."""
    e, g = _fmt_num(expected), _fmt_num(got)
    if e == g and expected != got:
        e, g = repr(float(expected)), repr(float(got))
    return e, g


def _shape_str(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _a(word: str) -> str:
    """``'int'`` -> ``'an int'``."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _describe(x: Any, limit: int = 60) -> str:
    """A one-line summary of a value: shapes for tensors and arrays, short reprs otherwise."""
    if isinstance(x, torch.Tensor):
        return f"tensor(shape={_shape_str(x.shape)}, dtype={str(x.dtype).replace('torch.', '')})"
    if isinstance(x, np.ndarray):
        return f"array(shape={_shape_str(x.shape)}, dtype={x.dtype})"
    text = repr(x)
    if len(text) > limit:
        kind = type(x).__name__
        size = f" of length {len(x)}" if hasattr(x, "__len__") else ""
        text = f"<{kind}{size}: {text[: limit - 20]}...>"
    return text


def _type_problem(answer: Any, wanted: str) -> str:
    """The message for an answer of the wrong type."""
    if answer is None:
        return f"expected {wanted}, got None (did the code forget to `return` or assign it?)"
    return f"expected {wanted}, got {type(answer).__name__}: {_describe(answer)}"


# --------------------------------------------------------------------------- tensors
def _as_tensor(x: Any) -> torch.Tensor | None:
    """``x`` as a CPU tensor without gradient, or ``None`` if it is not array-like."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu()
    if isinstance(x, (np.ndarray, np.generic)):
        return torch.from_numpy(np.array(x))
    if isinstance(x, (list, tuple, numbers.Number)):
        try:
            return torch.tensor(x)
        except (TypeError, ValueError, RuntimeError):
            return None
    return None


def _dtype_kind(t: torch.Tensor) -> str:
    if t.dtype == torch.bool:
        return "bool"
    if t.is_complex():
        return "complex"
    if t.is_floating_point():
        return "floating-point"
    return "integer"


def _shape_hint(got: Sequence[int], expected: Sequence[int]) -> str:
    got, expected = tuple(got), tuple(expected)
    if sorted(got) == sorted(expected):
        return " (same sizes in another order: a permute/transpose mistake?)"
    if [s for s in got if s != 1] == [s for s in expected if s != 1]:
        return " (differs only by a dimension of size 1: squeeze/unsqueeze?)"
    if math.prod(got) == math.prod(expected):
        return " (same number of elements: a reshape/view mistake?)"
    return ""


def _index(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, tuple(shape))) if len(shape) else ()


def _scale_hint(got: torch.Tensor, expected: torch.Tensor) -> str:
    """' (answer ≈ expected × 255 ...)' when the answer is the reference times a constant."""
    if expected.is_complex() or got.is_complex():
        return ""
    g, e = got.double().flatten(), expected.double().flatten()
    if not (torch.isfinite(g).all() and torch.isfinite(e).all()) or not e.abs().sum() > 0:
        return ""
    c = float((g * e).sum() / (e * e).sum())  # least-squares scale factor
    if c == 0 or abs(c - 1) < 1e-3 or not torch.allclose(g, c * e, rtol=1e-4, atol=1e-8):
        return ""
    factor = _fmt_num(round(c) if abs(c - round(c)) < 1e-3 * abs(c) else c)
    inverse = 1 / c
    if abs(c) < 1 and abs(inverse - round(inverse)) < 1e-3 * abs(inverse):
        factor = f"1/{_fmt_num(round(inverse))}"
    return f"\n  hint: the answer is the expected value × {factor} (a scaling or unit mistake?)"


def check_tensor(
    answer: Any,
    expected: Any,
    name: str = "answer",
    *,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    check_dtype: bool = True,
) -> bool:
    """Check an array-like answer against the expected one.

    Args:
        answer: the learner's tensor, NumPy array or nested list.
        expected: the correct value (same kinds accepted).
        name: what to call the answer in messages.
        atol, rtol: tolerances, as in :func:`torch.isclose`.
        check_dtype: require the same *kind* of dtype (bool, integer, floating-point,
            complex); precision (float32 vs float64, int32 vs int64) never matters.

    Returns:
        ``True`` (and prints ``✓ name: correct``) when the answer is right.

    Raises:
        ExerciseError: wrong type, shape, dtype kind, NaNs, or values; the message
            gives the max abs error and the first wrong element.
    """
    got = _as_tensor(answer)
    if got is None and isinstance(answer, (list, tuple)):
        raise ExerciseError(
            f"{name}: expected a tensor, got a {type(answer).__name__} that is not "
            f"a rectangular array of numbers: {_describe(answer)}"
        )
    if got is None:
        raise ExerciseError(f"{name}: " + _type_problem(answer, "a tensor (or a NumPy array / nested list of numbers)"))
    want = _as_tensor(expected)
    if want is None:
        raise TypeError(f"check_tensor: the expected value is not array-like: {_describe(expected)}")

    if got.shape != want.shape:
        raise ExerciseError(
            f"{name}: expected shape {_shape_str(want.shape)}, "
            f"got {_shape_str(got.shape)}" + _shape_hint(got.shape, want.shape)
        )
    if check_dtype and _dtype_kind(got) != _dtype_kind(want):
        hint = {
            "floating-point": " (convert with .float())",
            "integer": " (convert with .long() or round first?)",
            "bool": " (a comparison such as x > 0 gives one)",
        }.get(_dtype_kind(want), "")
        raise ExerciseError(
            f"{name}: expected a {_dtype_kind(want)} tensor (dtype {want.dtype}), "
            f"got dtype {got.dtype} ({_dtype_kind(got)}){hint}"
        )

    if want.dtype == torch.bool or got.dtype == torch.bool:
        wrong = got.bool() != want.bool() if not check_dtype else got != want
        if wrong.any():
            first = _index(int(wrong.flatten().nonzero()[0]), want.shape)
            raise ExerciseError(
                f"{name}: {int(wrong.sum())} of {want.numel()} elements are wrong; first at "
                f"index {first}: expected {bool(want[first])}, got {bool(got[first])}"
            )
        print(f"✓ {name}: correct")
        return True

    kind = torch.complex128 if (got.is_complex() or want.is_complex()) else torch.float64
    g, w = got.to(kind), want.to(kind)
    bad_nan = torch.isnan(g) & ~torch.isnan(w)
    if bad_nan.any():
        first = _index(int(bad_nan.flatten().nonzero()[0]), want.shape)
        raise ExerciseError(
            f"{name}: contains {int(bad_nan.sum())} NaN value(s) where numbers are expected; the first at index {first}"
        )
    close = torch.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        err = (g - w).abs()
        err = torch.where(close, torch.zeros_like(err), err)  # ignore matching NaNs/infs
        worst = _index(int(err.flatten().argmax()), want.shape)
        first = _index(int((~close).flatten().nonzero()[0]), want.shape)
        if g.is_complex():
            exp_s, got_s = str(w[first].item()), str(g[first].item())
        else:
            exp_s, got_s = _fmt_pair(w[first].item(), g[first].item())
        raise ExerciseError(
            f"{name}: {int((~close).sum())} of {want.numel()} elements are wrong "
            f"(tolerance atol={atol:g}, rtol={rtol:g})\n"
            f"  max abs error: {_fmt_num(err[worst].item())} at index {worst}\n"
            f"  first wrong element at index {first}: expected {exp_s}, got {got_s}" + _scale_hint(got, want)
        )
    print(f"✓ {name}: correct")
    return True


# --------------------------------------------------------------------------- scalars
# Ratios that usually mean a unit mistake in this course (bits, bytes, pixels, seconds).
_KNOWN_FACTORS: dict[float, str] = {
    8: "bits vs bytes?",
    1024: "KiB vs bytes (or MiB vs KiB)?",
    1024**2: "MiB vs bytes?",
    1024**3: "GiB vs bytes?",
    1.024: "kB vs KiB?",
    1.048576: "MB vs MiB?",
    1.073741824: "GB vs GiB?",
    60: "seconds vs minutes?",
    3600: "seconds vs hours?",
    255: "pixel values in [0, 255] vs [0, 1]?",
}


def _ratio_hint(got: float, expected: float) -> str:
    """' (off by a factor of 1000, too small: ...)' -- the ratio between answer and reference."""
    if got == 0 or expected == 0 or not (math.isfinite(got) and math.isfinite(expected)):
        return ""
    ratio = got / expected
    if ratio < 0:
        return " (the sign is flipped)" if math.isclose(-ratio, 1, rel_tol=1e-6) else " (wrong sign)"
    factor = max(ratio, 1 / ratio)
    if factor < 1.01:
        return f" (off by {abs(ratio - 1):.3g}x relative)" if factor > 1 + 1e-9 else ""
    if factor < 1.5 and not any(math.isclose(factor, k, rel_tol=1e-4) for k in _KNOWN_FACTORS):
        return f" (off by {abs(ratio - 1):.1%})"
    nearest = round(factor)
    shown = _fmt_num(nearest) if math.isclose(factor, nearest, rel_tol=1e-4) else f"{factor:.3g}"
    text = f" (off by a factor of {shown}, {'too large' if ratio > 1 else 'too small'}"
    for k, why in _KNOWN_FACTORS.items():
        if math.isclose(factor, k, rel_tol=1e-4):
            return text + f": {why})"
    log = math.log10(factor)
    if log >= 3 and math.isclose(log, round(log), abs_tol=1e-4):
        return text + ": a unit prefix such as k, M, G or m?)"
    return text + ")"


def _as_number(x: Any) -> float | int | None:
    """``x`` as a Python number, or ``None`` if it is not a single real number."""
    if isinstance(x, (bool, np.bool_)):
        return None
    if isinstance(x, numbers.Real):
        return x if isinstance(x, (int, float)) else x.item() if hasattr(x, "item") else float(x)
    if isinstance(x, (torch.Tensor, np.ndarray)) and x.ndim == 0 and x.dtype not in (torch.bool, np.bool_):
        value = x.item()
        return value if isinstance(value, (int, float)) else None
    return None


def check_scalar(
    answer: Any, expected: float, name: str = "answer", *, rel_tol: float = 1e-6, abs_tol: float = 0.0
) -> bool:
    """Check a single number (int, float, NumPy scalar or 0-d tensor).

    Args:
        answer: the learner's number.
        expected: the correct number.
        name: what to call the answer in messages.
        rel_tol, abs_tol: tolerances, as in :func:`math.isclose`.

    Returns:
        ``True`` (and prints ``✓ name: correct``) when the answer is right.

    Raises:
        ExerciseError: not a number, NaN, or a different value; the message gives the
            ratio (``off by a factor of 1000``) when that points to a unit mistake.
    """
    got = _as_number(answer)
    if got is None:
        if isinstance(answer, (torch.Tensor, np.ndarray)) and math.prod(answer.shape) == 1:
            raise ExerciseError(
                f"{name}: expected a single number, got {_describe(answer)} (use .item() to take the number out)"
            )
        raise ExerciseError(f"{name}: " + _type_problem(answer, "a number"))
    want = _as_number(expected)
    if want is None:
        raise TypeError(f"check_scalar: the expected value is not a number: {_describe(expected)}")
    if math.isnan(got) and not math.isnan(want):
        raise ExerciseError(f"{name}: expected {_fmt_num(want)}, got NaN")
    if not (math.isclose(got, want, rel_tol=rel_tol, abs_tol=abs_tol) or (math.isnan(got) and math.isnan(want))):
        exp_s, got_s = _fmt_pair(want, got)
        raise ExerciseError(f"{name}: expected {exp_s}, got {got_s}" + _ratio_hint(got, want))
    print(f"✓ {name}: correct")
    return True


# --------------------------------------------------------------------------- exact values
def _same_kind(answer: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(answer, bool):
        return isinstance(answer, bool) and isinstance(expected, bool)
    if isinstance(expected, numbers.Integral):
        return isinstance(answer, numbers.Integral)
    if isinstance(expected, numbers.Real):
        return isinstance(answer, numbers.Real)
    return isinstance(answer, type(expected))


def _diff(answer: Any, expected: Any, path: str = "") -> str | None:
    """The first difference between two exact values, as a sentence (``None``: equal)."""
    where = f" at {path}" if path else ""
    if not _same_kind(answer, expected):
        return (
            f"expected {_a(type(expected).__name__)}{where}, got {_a(type(answer).__name__)}: "
            f"{_describe(answer)}" + (" (did the code forget to `return`?)" if answer is None else "")
        )
    if isinstance(expected, str):
        if answer == expected:
            return None
        if "\n" in expected or "\n" in answer:
            lines = difflib.unified_diff(
                expected.splitlines(), answer.splitlines(), "expected", "got", lineterm="", n=1
            )
            return f"the text{where} differs:\n    " + "\n    ".join(lines)
        i = next((k for k, (a, b) in enumerate(zip(answer, expected)) if a != b), min(len(answer), len(expected)))
        return f"expected {expected!r}{where}, got {answer!r} (first difference at character {i})"
    if isinstance(expected, (list, tuple)):
        for i, (a, e) in enumerate(zip(answer, expected)):
            found = _diff(a, e, f"{path}[{i}]")
            if found:
                return found + ("" if path else f"\n  expected {_describe(expected)}\n  got      {_describe(answer)}")
        if len(answer) != len(expected):
            return (
                f"expected {len(expected)} items{where}, got {len(answer)}: "
                f"expected {_describe(expected)}, got {_describe(answer)}"
            )
        return None
    if isinstance(expected, dict):
        missing = [k for k in expected if k not in answer]
        extra = [k for k in answer if k not in expected]
        if missing or extra:
            return (f"keys differ{where}: missing {missing}" if missing else f"keys differ{where}:") + (
                f", unexpected {extra}" if extra else ""
            )
        for k in expected:
            found = _diff(answer[k], expected[k], f"{path}[{k!r}]")
            if found:
                return found
        return None
    if answer != expected:
        return f"expected {_describe(expected)}{where}, got {_describe(answer)}"
    return None


def check_equal(answer: Any, expected: Any, name: str = "answer") -> bool:
    """Check an exact answer: an int, a string, a shape tuple, a list, a dict.

    ``torch.Size`` counts as a tuple, NumPy integers as ints, and a 0-d integer tensor
    as an int; a list is not a tuple (the message says so).

    Returns:
        ``True`` (and prints ``✓ name: correct``) when the answer is right.

    Raises:
        ExerciseError: with the first difference (item index, key, or character).
    """
    if isinstance(answer, (torch.Tensor, np.ndarray)) and answer.ndim == 0 and isinstance(expected, numbers.Integral):
        answer = answer.item()
    if isinstance(answer, np.integer):
        answer = int(answer)
    problem = _diff(answer, expected)
    if problem:
        raise ExerciseError(f"{name}: {problem}")
    print(f"✓ {name}: correct")
    return True


# --------------------------------------------------------------------------- functions
Checker = Callable[..., Any]


def check_function(
    fn: Callable[..., Any],
    reference: Callable[..., Any],
    cases: Sequence[Any],
    name: str | None = None,
    *,
    compare: Checker = check_tensor,
) -> bool:
    """Run a learner's function and a reference on each case and compare the results.

    Args:
        fn: the learner's function.
        reference: the correct implementation.
        cases: argument tuples; ``fn(*case)`` is compared with ``reference(*case)``.
            A case that is not a tuple is passed as the single argument.
        name: what to call the function in messages (default: ``fn.__name__``).
        compare: the checker used per case, e.g. :func:`check_scalar` or :func:`check_equal`.

    Returns:
        ``True`` (and prints one ``✓`` line) when every case passes.

    Raises:
        NotImplementedError: unchanged, when ``fn`` is an unfinished exercise stub.
        ExerciseError: for the first failing case, with its arguments summarised
            (tensor shapes, not values); exceptions raised by ``fn`` are wrapped.
    """
    name = name or getattr(fn, "__name__", "function")
    if not cases:
        raise ValueError("check_function needs at least one case")
    for number, case in enumerate(cases, 1):
        args = case if isinstance(case, tuple) else (case,)
        call = f"{name}({', '.join(_describe(a) for a in args)})"
        where = f"case {number} of {len(cases)}: {call}"
        want = reference(*copy.deepcopy(args))
        try:
            got = fn(*copy.deepcopy(args))  # copies: an in-place edit cannot leak into the next case
        except NotImplementedError:
            raise
        except Exception as exc:
            raise ExerciseError(f"{name}: {where} raised {type(exc).__name__}: {exc}") from exc
        try:
            with redirect_stdout(io.StringIO()):  # one ✓ line in the end, not one per case
                compare(got, want, "result")
        except ExerciseError as exc:
            raise ExerciseError(f"{name}: wrong result for {where}\n  {exc}") from None
    print(f"✓ {name}: correct on all {len(cases)} cases")
    return True


# --------------------------------------------------------------------------- registry
class Exercise(NamedTuple):
    """A registered notebook exercise (see :func:`exercise`)."""

    checker: Callable[[Any], Any]
    wrong: list[Any]
    notebook: str
    reference: Any


EXERCISES: dict[str, Exercise] = {}
"""Every registered exercise: checker name -> :class:`Exercise`."""


class Passed:
    """What a notebook checker returns when the answer is right: true, equal to ``True``, and silent.

    The checker has already printed its ``✓`` line; a plain ``True`` as the cell's last value would add a stray
    ``Out: True`` under it in every exercise. IPython calls ``_ipython_display_`` instead of printing a result,
    and this one shows nothing.
    """

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return other is True or isinstance(other, Passed)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "True"

    def _ipython_display_(self) -> None:
        pass


def exercise(
    *, notebook: str, reference: Any, wrong: Sequence[Any], name: str | None = None
) -> Callable[[Callable], Callable]:
    """Register a notebook-specific checker together with right and wrong answers.

    Usage, in ``vulib/exercises/nb00.py``::

        @exercise(notebook="00", reference=torch.ones(2, 3), wrong=[torch.ones(3, 2), None])
        def check_ones(answer):
            return check_tensor(answer, torch.ones(2, 3), "ones")

    Args:
        notebook: the notebook's number, e.g. ``"00"``.
        reference: a correct answer (a value, or a function for function exercises).
        wrong: plausible wrong answers -- whatever the checker takes; the test suite
            proves that each one raises :class:`ExerciseError`.
        name: registry key (default: the checker's name).

    Returns:
        A decorator that registers the checker and returns it wrapped: the wrapper
        behaves exactly like the checker and, when an answer passes, records the pass
        for self-study progress (:func:`vulib.exercises.progress`).
    """

    def register(checker: Callable) -> Callable:
        key = name or checker.__name__
        old = EXERCISES.get(key)
        if old is not None and old.checker.__module__ != checker.__module__:
            raise ValueError(
                f"exercise {key!r} is registered twice ({old.checker.__module__} and {checker.__module__})"
            )

        @functools.wraps(checker)
        def checked(*args: Any, **kwargs: Any) -> Any:
            result = checker(*args, **kwargs)  # raises ExerciseError on a wrong answer
            record_pass(str(notebook), key)
            return Passed() if result is True else result

        EXERCISES[key] = Exercise(checked, list(wrong), str(notebook), reference)
        return checked

    return register


def _import_notebook_checkers() -> list[str]:
    """Import every ``nb*.py`` module of this package, so that its exercises register."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if re.match(r"nb\d", m.name))
    for module in names:
        importlib.import_module(f"{__name__}.{module}")
    return names


from .selfstudy import progress, record_pass, reset_progress  # noqa: E402 (needs nothing above)

_import_notebook_checkers()
