"""Output-size arithmetic shared by convolution, pooling, the model and the page captions."""

from __future__ import annotations

IntPair = int | tuple[int, int]


def pair(value: IntPair, name: str) -> tuple[int, int]:
    """Return ``value`` as ``(h, w)``; an int means the same number for both."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be one number or a pair (height, width), got {value!r}")
        out = (int(value[0]), int(value[1]))
    else:
        out = (int(value), int(value))
    return out


def side_padding(padding: int | tuple[int, int]) -> tuple[int, int]:
    """Return ``(before, after)`` padding of one axis."""
    before, after = pair(padding, "padding")
    if before < 0 or after < 0:
        raise ValueError(f"padding cannot be negative, got {padding!r}")
    return before, after


def four_sides(padding: int | tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Return ``(top, bottom, left, right)`` from an int or a 4-tuple."""
    if isinstance(padding, (tuple, list)):
        if len(padding) != 4:
            raise ValueError(
                f"padding must be one number or four (top, bottom, left, right), got {padding!r}"
            )
        sides = tuple(int(p) for p in padding)
    else:
        sides = (int(padding),) * 4
    if min(sides) < 0:
        raise ValueError(f"padding cannot be negative, got {padding!r}")
    return sides  # type: ignore[return-value]


def output_size(
    n: int,
    kernel: int,
    *,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int = 1,
) -> int:
    """Number of window positions along one axis of length ``n``.

    ``floor((n + before + after - dilation * (kernel - 1) - 1) / stride) + 1``, where
    ``padding`` is one int for both sides or ``(before, after)``.
    Raises ``ValueError`` with a plain explanation when no window fits.
    """
    before, after = side_padding(padding)
    if n < 1:
        raise ValueError(f"the input must be at least 1 pixel long, got {n}")
    if kernel < 1:
        raise ValueError(f"the window must be at least 1 pixel wide, got {kernel}")
    if stride < 1:
        raise ValueError(f"the stride must be at least 1 (a step of {stride} never moves)")
    if dilation < 1:
        raise ValueError(f"the dilation must be at least 1, got {dilation}")
    span = dilation * (kernel - 1) + 1
    padded = n + before + after
    if span > padded:
        raise ValueError(
            f"the window covers {span} pixels but the padded input is only {padded} "
            f"pixel{'' if padded == 1 else 's'} ({n} + {before} + {after} padding): the window "
            "does not fit even once. Use a smaller kernel or dilation, or add padding."
        )
    return (padded - span) // stride + 1


def same_padding(kernel: int, *, dilation: int = 1) -> tuple[int, int]:
    """``(before, after)`` padding that keeps the size at stride 1 (extra pixel after, as torch)."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def leftover(
    n: int,
    kernel: int,
    *,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int = 1,
) -> int:
    """Pixels at the end of the padded axis that no window reaches (floor rounding drops them)."""
    before, after = side_padding(padding)
    count = output_size(n, kernel, stride=stride, padding=padding, dilation=dilation)
    covered = (count - 1) * stride + dilation * (kernel - 1) + 1
    return n + before + after - covered


def size_formula(
    n: int,
    kernel: int,
    *,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int = 1,
) -> str:
    """The output-size formula with the user's numbers filled in.

    ``size_formula(28, 3)`` is ``⌊(28 + 0 + 0 − 1×(3 − 1) − 1) / 1⌋ + 1 = ⌊25⌋ + 1 = 26``.

    Raises ``ValueError`` like ``output_size`` when no window fits.
    """
    before, after = side_padding(padding)
    result = output_size(n, kernel, stride=stride, padding=padding, dilation=dilation)
    inside = f"{n} + {before} + {after} − {dilation}×({kernel} − 1) − 1"
    exact = (n + before + after - dilation * (kernel - 1) - 1) / stride
    return f"⌊({inside}) / {stride}⌋ + 1 = ⌊{exact:g}⌋ + 1 = {result}"
