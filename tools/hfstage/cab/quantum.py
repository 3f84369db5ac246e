"""Quantum decompression (CAB folder type 2), in pure Python.

Written from the format's description (David Stafford's Quantum as used in cabinets,
documented by Matthew Russotto and in libmspack): an adaptive arithmetic coder with 16-bit
registers drives seven frequency models (a selector, four literal ranges, match slots)
and raw bits for offsets and lengths are read from the same MSB-first bit stream. Output
comes in 32 KiB frames; each frame restarts the coder and ends byte-aligned, followed by
padding up to a 0xFF trailer that readers append after every CFDATA block. The models and
the window carry over from frame to frame. The readers that can do this are C (libmspack,
under cabextract); libarchive cannot, so hfstage decodes Quantum itself: slowly (about
0.4 MB/s, bench/cab_extract.py), but Quantum cabinets are few, small and old (1995-1997).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

FRAME = 32768
MIN_WINDOW_BITS, MAX_WINDOW_BITS = 10, 21
RESCALE_ABOVE = 3800  # a model's total frequency past which it is halved
SORT_EVERY = 50  # every 50th halving also re-sorts the symbols by frequency
LITERAL_MODELS = 4  # selectors 0-3: a literal from byte range 64*selector .. +63


def _slots(count: int, step: int) -> tuple[list[int], list[int]]:
    """Base values and extra-bit counts of COUNT slots whose extra bits grow every STEP slots."""
    base, extra, value = [], [], 0
    for slot in range(count):
        bits = max(slot - 2, 0) // step
        base.append(value)
        extra.append(bits)
        value += 1 << bits
    return base, extra


POSITION_BASE, POSITION_EXTRA = _slots(42, 2)  # match offsets, 1 .. 2 MiB
LENGTH_BASE, LENGTH_EXTRA = _slots(26, 4)  # selector 6 lengths; slot 26 means 254 exactly
LENGTH_BASE.append(254)
LENGTH_EXTRA.append(0)
FIXED_LENGTHS = {4: 3, 5: 4}  # selectors 4 and 5: matches of 3 and 4 bytes
MIN_VARIABLE_LENGTH = 5


class QuantumError(Exception):
    """The Quantum stream is damaged; the caller adds the cabinet and folder."""


class Model:
    """One adaptive frequency model: symbols in the decoder's order with cumulative frequencies.

    cum[i] is the total frequency of entries i.. (cum[0] the model's total, cum[n] = 0); an
    encoder must update it exactly as the decoder does, so both use this class.
    """

    __slots__ = ("symbols", "cum", "halvings_left")

    def __init__(self, first: int, count: int) -> None:
        self.symbols = list(range(first, first + count))
        self.cum = list(range(count, -1, -1))
        self.halvings_left = 4

    def seen(self, index: int) -> None:
        """Count one more occurrence of the entry at INDEX (and so of every cumulative sum above it)."""
        cum = self.cum
        cum[:index + 1] = [c + 8 for c in cum[:index + 1]]
        if cum[0] > RESCALE_ABOVE:
            self._rescale()

    def _rescale(self) -> None:
        cum, n = self.cum, len(self.symbols)
        self.halvings_left -= 1
        if self.halvings_left:
            for i in range(n - 1, -1, -1):  # halve, keeping every entry's frequency at least 1
                cum[i] = max(cum[i] >> 1, cum[i + 1] + 1)
            return
        self.halvings_left = SORT_EVERY
        freq = [(cum[i] - cum[i + 1] + 1) >> 1 for i in range(n)]
        symbols = self.symbols
        for i in range(n - 1):  # the reference's exchange sort: equal frequencies keep its order
            for j in range(i + 1, n):
                if freq[i] < freq[j]:
                    freq[i], freq[j] = freq[j], freq[i]
                    symbols[i], symbols[j] = symbols[j], symbols[i]
        total = 0
        for i in range(n - 1, -1, -1):
            total += freq[i]
            cum[i] = total


def new_models(window_bits: int) -> list[Model]:
    """The nine models in selector order: literals 0-3, slots for selectors 4, 5, 6, 6's lengths, the selector."""
    slots = 2 * window_bits
    return [Model(64 * i, 64) for i in range(LITERAL_MODELS)] + [
        Model(0, min(slots, 24)), Model(0, min(slots, 36)), Model(0, slots), Model(0, 27), Model(0, 7)]


class _Bits:
    """The MSB-first bit stream: every CFDATA block followed by the 0xFF trailer readers add."""

    def __init__(self, blocks: Iterable[bytes]) -> None:
        data = b"".join(bytes(b) + b"\xff" for b in blocks) + b"\0\0"  # two zero bytes, as readers pad
        self.end = len(data) * 8
        self.data = data + bytes(32)  # slack: one symbol and its raw bits may overrun before the check
        self.pos = 0

    def read(self, count: int) -> int:
        """The next COUNT (0-25) bits as a number."""
        pos = self.pos
        self.pos = pos + count
        word = int.from_bytes(self.data[pos >> 3:(pos >> 3) + 4], "big")
        return (word >> (32 - (pos & 7) - count)) & ((1 << count) - 1)

    def check(self) -> None:
        if self.pos > self.end:
            raise QuantumError("the compressed data ends before the folder's last byte")

    def next_frame(self) -> None:
        """Skip to the byte after the next 0xFF trailer (an encoder pads with 0 to 4 zero bytes before it)."""
        byte = (self.pos + 7) >> 3
        trailer = self.data.find(b"\xff", byte, self.end >> 3)
        if trailer < 0:
            raise QuantumError("a frame is not followed by its block's end")
        self.pos = (trailer + 1) * 8


class _Coder:
    """The arithmetic decoder of one frame: registers L, H and the code value C (16 bits each)."""

    def __init__(self, bits: _Bits) -> None:
        self.bits = bits
        self.low, self.high, self.code = 0, 0xFFFF, bits.read(16)

    def symbol(self, model: Model) -> int:
        low, high, code = self.low, self.high, self.code
        cum = model.cum
        total, span = cum[0], high - low + 1
        target = (((code - low + 1) * total - 1) & 0xFFFFFFFF) // span & 0xFFFF
        # the entry whose cumulative range holds TARGET: cum falls, so "cum <= target" flips once
        index = bisect_left(cum, True, 1, len(cum) - 1, key=lambda c: c <= target) - 1
        high = (low + cum[index] * span // total - 1) & 0xFFFF
        low = (low + cum[index + 1] * span // total) & 0xFFFF
        symbol = model.symbols[index]  # before seen(): it may re-sort the model
        model.seen(index)
        read = self.bits.read
        shift = 16 - (low ^ high).bit_length()  # leading bits L and H agree on: settled, shifted out
        if shift:
            low = (low << shift) & 0xFFFF
            high = ((high << shift) | ((1 << shift) - 1)) & 0xFFFF
            code = ((code << shift) | read(shift)) & 0xFFFF
        while low & 0x4000 and not high & 0x4000:  # underflow: L = 01..., H = 10..., both near the middle
            low = (low & 0x3FFF) << 1
            high = (((high | 0x4000) << 1) | 1) & 0xFFFF
            code = (((code ^ 0x4000) << 1) | read(1)) & 0xFFFF
        self.low, self.high, self.code = low, high, code
        return symbol


def decode_folder(blocks: Iterable[bytes], window_bits: int, size: int) -> bytes:
    """The first SIZE bytes of a Quantum folder whose CFDATA payloads are BLOCKS."""
    if not MIN_WINDOW_BITS <= window_bits <= MAX_WINDOW_BITS:
        raise QuantumError(f"window of 2^{window_bits} bytes is outside Quantum's 2^10 .. 2^21")
    window = 1 << window_bits
    bits, models, out = _Bits(blocks), new_models(window_bits), bytearray()
    while len(out) < size:
        frame_start = len(out)
        _frame(_Coder(bits), models, out, frame_start, min(frame_start + FRAME, size), window)
        bits.check()
        if len(out) - frame_start == FRAME:
            bits.next_frame()
    return bytes(out[:size])


def _frame(coder: _Coder, models: list[Model], out: bytearray, start: int, stop: int, window: int) -> None:
    """Decode into OUT until it reaches STOP; no match may run past the frame (START + 32 KiB)."""
    selector_model, bits = models[8], coder.bits
    while len(out) < stop:
        if bits.pos > bits.end:
            raise QuantumError("the compressed data ends before the folder's last byte")
        selector = coder.symbol(selector_model)
        if selector < LITERAL_MODELS:
            out.append(coder.symbol(models[selector]))
            continue
        length, offset = _match(coder, models, selector)
        bits.check()  # a match read from past the data is the data's end, not a bad match
        here = len(out)
        if here - start + length > FRAME:
            raise QuantumError(f"a match at byte {here} runs past the end of its 32 KiB frame")
        if offset > here or offset > window:
            raise QuantumError(f"a match at byte {here} reaches {offset} bytes back, before the data "
                               f"or past the {window}-byte window")
        if offset >= length:
            out += out[here - offset:here - offset + length]
        else:  # overlapping copy: the last OFFSET bytes repeat
            out += (out[here - offset:] * (length // offset + 1))[:length]


def _match(coder: _Coder, models: list[Model], selector: int) -> tuple[int, int]:
    """(length, offset) of the match that SELECTOR (4, 5 or 6) introduces."""
    if selector in FIXED_LENGTHS:
        length = FIXED_LENGTHS[selector]
    else:
        slot = coder.symbol(models[7])
        length = LENGTH_BASE[slot] + coder.bits.read(LENGTH_EXTRA[slot]) + MIN_VARIABLE_LENGTH
    slot = coder.symbol(models[selector])
    return length, POSITION_BASE[slot] + coder.bits.read(POSITION_EXTRA[slot]) + 1
