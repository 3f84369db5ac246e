"""Test-only Quantum encoder, for cabinets with Quantum folders (no Debian tool writes them).

A greedy LZ77 match finder feeds the arithmetic coder that mirrors hfstage's decoder
(hfstage.cab.quantum: the same models, tables and frame rules), written as the classic
16-bit coder with pending underflow bits. It compresses poorly and is only meant to make
valid streams that use every selector; make_cab_classes.py checks each cabinet it makes
with cabextract (libmspack), a decoder written independently of hfstage's.

One quirk shapes the output: the decoder reads the raw offset and length bits from the
same stream as the arithmetic code, 16 bits past the code bits it has consumed. So a frame
is assembled after coding: the first 16 code bits, then for each step the decoder takes,
either the next code bit (a register shift) or the raw bits, in the decoder's order.
"""

from __future__ import annotations

from hfstage.cab.quantum import (
    FRAME,
    LENGTH_BASE,
    LENGTH_EXTRA,
    MIN_VARIABLE_LENGTH,
    POSITION_BASE,
    POSITION_EXTRA,
    Model,
    new_models,
)

MAX_LENGTH = LENGTH_BASE[-1] + MIN_VARIABLE_LENGTH  # 259
SHORT_MATCH_SLOTS = {3: 24, 4: 36}  # selectors 4 and 5 reach only offsets in their first slots
_SHIFT = None  # an event: the decoder shifts one code bit into its register


class _FrameCoder:
    """Arithmetic coding of one frame, plus the list of the decoder's steps to merge the raw bits."""

    def __init__(self) -> None:
        self.low, self.high, self.pending = 0, 0xFFFF, 0
        self.code: list[int] = []
        self.events: list = []

    def symbol(self, model: Model, value: int) -> None:
        index = model.symbols.index(value)
        cum, span = model.cum, self.high - self.low + 1
        total = cum[0]
        self.high = self.low + cum[index] * span // total - 1
        self.low = self.low + cum[index + 1] * span // total
        model.seen(index)
        while True:
            if not (self.low ^ self.high) & 0x8000:
                self._emit(self.high >> 15)
            elif self.low & 0x4000 and not self.high & 0x4000:
                self.pending += 1
                self.low &= 0x3FFF
                self.high |= 0x4000
            else:
                break
            self.low = (self.low << 1) & 0xFFFF
            self.high = ((self.high << 1) | 1) & 0xFFFF
            self.events.append(_SHIFT)

    def raw(self, value: int, count: int) -> None:
        if count:
            self.events.append((value, count))

    def _emit(self, bit: int) -> None:
        self.code.append(bit)
        self.code.extend([1 - bit] * self.pending)
        self.pending = 0

    def finish(self) -> bytes:
        self.pending += 1  # two more bits pick a quarter inside [low, high]
        self._emit(0 if self.low < 0x4000 else 1)
        shifts = self.events.count(_SHIFT)
        code = self.code + [0] * (16 + shifts - len(self.code))
        bits, taken = code[:16], 16
        for event in self.events:
            if event is _SHIFT:
                bits.append(code[taken])
                taken += 1
            else:
                value, count = event
                bits.extend((value >> (count - 1 - k)) & 1 for k in range(count))
        bits += [0] * (-len(bits) % 8)
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


def _slot(bases: list[int], value: int) -> int:
    return max(i for i, base in enumerate(bases) if base <= value)


def _longest_match(data: bytes, pos: int, end: int, window: int, heads: dict) -> tuple[int, int]:
    best_length, best_offset = 0, 0
    for start in reversed(heads.get(data[pos:pos + 3], [])[-32:]):
        offset = pos - start
        if offset > window:
            break
        length = 0
        limit = min(MAX_LENGTH, end - pos)
        while length < limit and data[start + length] == data[pos + length]:
            length += 1
        if length > best_length:
            best_length, best_offset = length, offset
    return best_length, best_offset


def _fits(length: int, offset: int, window_bits: int) -> bool:
    if length >= MIN_VARIABLE_LENGTH:
        return True
    slots = min(SHORT_MATCH_SLOTS[length], 2 * window_bits)
    return _slot(POSITION_BASE, offset - 1) < slots


def encode(data: bytes, window_bits: int) -> list[tuple[bytes, int]]:
    """(compressed block, uncompressed size) per 32 KiB frame, one CFDATA block each."""
    models, window, blocks, heads = new_models(window_bits), 1 << window_bits, [], {}
    for frame_start in range(0, len(data), FRAME):
        end = min(frame_start + FRAME, len(data))
        coder, pos = _FrameCoder(), frame_start
        while pos < end:
            length, offset = _longest_match(data, pos, end, window, heads) if end - pos >= 3 else (0, 0)
            if length >= 3 and not _fits(length, offset, window_bits):
                length = 3 if length == 4 and _fits(3, offset, window_bits) else 0
            step = length if length >= 3 else 1
            if step == 1:
                coder.symbol(models[8], data[pos] >> 6)
                coder.symbol(models[data[pos] >> 6], data[pos])
            else:
                _code_match(coder, models, length, offset)
            for p in range(pos, pos + step):
                heads.setdefault(data[p:p + 3], []).append(p)
            pos += step
        blocks.append((coder.finish(), end - frame_start))
    return blocks


def _code_match(coder: _FrameCoder, models: list[Model], length: int, offset: int) -> None:
    selector = {3: 4, 4: 5}.get(length, 6)
    coder.symbol(models[8], selector)
    if selector == 6:
        slot = _slot(LENGTH_BASE, length - MIN_VARIABLE_LENGTH)
        coder.symbol(models[7], slot)
        coder.raw(length - MIN_VARIABLE_LENGTH - LENGTH_BASE[slot], LENGTH_EXTRA[slot])
    slot = _slot(POSITION_BASE, offset - 1)
    coder.symbol(models[selector], slot)
    coder.raw(offset - 1 - POSITION_BASE[slot], POSITION_EXTRA[slot])
