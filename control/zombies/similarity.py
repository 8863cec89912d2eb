"""The most similar other system of the same department for a whole scan at once: the Dice
similarity of character n-gram sets of rules.ngrams and rules.dice, counted with sorting and array
arithmetic, because comparing every pair of a department in Python takes a province-wide scan tenths
of a second, and seconds when one department holds thousands of systems.

The texts become small character codes; each system's distinct n-grams are sorted by department, then
by their characters (a stable sort per character position, so exact for any n: no packing, no
hashing), then by system; each n-gram that s systems of a department share then adds one to their
s(s-1)/2 cells of the department's k × k count matrix. When s is large for k, the pairs would cost more
than k² multiply-adds, so such n-grams are counted as columns of a 0/1 matrix product X·Xᵀ instead.
Departments of one size are handled together, about _CELLS count cells at a time (16 bytes a cell at
the peak; a department of k alone takes k²: 64 MB for 2,000), with at most about _PAIRS pairs
generated and _ROWS scores computed at once.

Every pass works on a bounded piece: _TEXTS texts are normalised and whole departments of about
_GRAMS n-grams sorted at a time (a larger department alone), because sorting and gathering a
province's millions at once leaves the cache: that made 10× the systems cost 13× (and 28× inside a
scan with the products on two BLAS threads); now it is 9× (bench/zombies.py's data, 20,000 → 200,000
systems). The cost is linear in the systems for departments of a given size; the counting grows with k²
per department, so the same systems in fewer, larger departments cost more."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from threadpoolctl import ThreadpoolController

from control.zombies.rules import _NOT_WORD

_CELLS = 1 << 20
_PAIRS = 1 << 21
_ROWS = 1 << 16
_GRAMS = 1 << 16
_TEXTS = 1 << 14
_THREADS = ThreadpoolController()   # finds NumPy's BLAS once: threadpool_limits looks again each call (1 ms)
_HEAVY_DIV = 16       # an n-gram shared by more than k // 16 systems of a department of k goes to the
                      # matrix product: the cheaper there, measured at k = 10 and 2,000


def most_similar(department_ids: Sequence[int], descriptions: Sequence[str | None], n: int = 2
                 ) -> tuple[np.ndarray, np.ndarray]:
    """For each system i: (index j of the most similar OTHER system of the same department, Dice
    similarity of their n-gram sets) — j = -1 and 0.0 when no other system of the department shares
    any n-gram with it (or i's description is empty after normalisation). Ties go to the lowest j;
    the score is the same float as rules.dice(rules.ngrams(a, n), rules.ngrams(b, n))."""
    if n < 1:
        raise ValueError(f"n-gram length must be at least 1, not {n}")
    neighbour, score = np.full(len(descriptions), -1, np.int64), np.zeros(len(descriptions))
    chars, start, length = _normalise(descriptions)
    present = np.flatnonzero(length)
    if not len(present):
        return neighbour, score
    _, dept, count = np.unique(np.asarray(department_ids, np.int64)[present], return_inverse=True,
                               return_counts=True)
    by_size = np.lexsort((dept, count[dept]))                # each department in index order
    system = present[by_size]                                # slot → system
    first = np.flatnonzero(np.diff(dept[by_size], prepend=-1))
    k = np.diff(first, append=len(system))                   # systems per department
    dix = np.repeat(np.arange(len(k)), k)                    # department of each slot
    local = np.arange(len(system)) - first[dix]              # slot within its department

    slot, new_group = _grams(chars, start[system], length[system], n, dix)
    size = np.bincount(slot, minlength=len(system)).astype(np.int32)   # distinct n-grams per system
    gstart = np.flatnonzero(new_group)
    gsize = np.diff(gstart, append=len(slot))                # systems of the department sharing it
    gstart, gsize = gstart[gsize > 1], gsize[gsize > 1]
    gdept = dix[slot[gstart]]
    heavy = gsize > k[gdept] // _HEAVY_DIV
    eloc = local[slot]

    cells = k * k                                            # departments of one size, _CELLS at a time
    for d0, d1 in _runs((np.cumsum(cells) - cells) // _CELLS * (len(system) + 1) + k):
        kk, s0 = k[d0], first[d0]
        g0, g1 = np.searchsorted(gdept, [d0, d1])
        counts = np.zeros((d1 - d0, kk, kk), np.int32)       # shared n-grams of each pair
        light = g0 + np.flatnonzero(~heavy[g0:g1])
        _add_pairs(counts.reshape(-1), gstart[light], gsize[light], slot, eloc, s0, kk)
        counts += counts.transpose(0, 2, 1)
        big = g0 + np.flatnonzero(heavy[g0:g1])
        _add_products(counts, gdept[big] - d0, eloc, gstart[big], gsize[big])
        counts[:, np.arange(kk), np.arange(kk)] = 0          # a system with itself
        j, best = _best(counts, size[s0:s0 + (d1 - d0) * kk])
        a = s0 + np.flatnonzero(best)
        neighbour[system[a]], score[system[a]] = system[a - local[a] + j[a - s0]], best[a - s0]
    return neighbour, score


def _normalise(descriptions: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """rules.ngrams' normalisation of every text: (the kept characters of all texts, coded 1..K in the
    smallest unsigned type; where each text starts among them; how many it has). The texts are lowered
    joined by NUL, which like the end of a string is neither cased nor case-ignorable, so a final Σ
    lowers as in its own text; one by one only if some character lowered to two (İ), which moves the
    boundaries. The regex runs once over the distinct characters, not over every text. _TEXTS texts at
    a time, so that the strings and arrays stay in cache and the cost per text stays the same."""
    texts = [d or "" for d in descriptions]
    blocks = []
    for b0 in range(0, len(texts) or 1, _TEXTS):
        block = texts[b0:b0 + _TEXTS]
        joined = "\0".join(block)
        lowered = joined.lower()
        if len(lowered) != len(joined):
            block = [t.lower() for t in block]
            lowered = "\0".join(block)
        blocks.append((np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), np.uint32),
                       np.fromiter(map(len, block), np.int64, len(block))))
    seen = np.zeros(max(int(cps.max(initial=0)) for cps, _ in blocks) + 1, bool)
    for cps, _ in blocks:
        seen[cps] = True
    kept = _NOT_WORD.sub("", "".join(map(chr, np.flatnonzero(seen).tolist())))
    code = np.zeros(len(seen), np.min_scalar_type(len(kept)))
    code[np.frombuffer(kept.encode("utf-32-le"), np.uint32)] = np.arange(1, len(kept) + 1)
    chars, start, length, done = [], [], [], 0
    for cps, raw in blocks:
        coded = code[cps]
        before = np.concatenate([[0], np.cumsum(coded > 0)])    # kept characters before each position
        end = np.cumsum(raw + 1) - 1
        chars.append(coded[coded > 0])
        start.append(done + before[end - raw])
        length.append(before[end] - before[end - raw])
        done += int(before[-1])
    return np.concatenate(chars), np.concatenate(start), np.concatenate(length)


def _grams(chars: np.ndarray, start: np.ndarray, length: np.ndarray, n: int, dix: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """The distinct n-grams of each slot's text (a text of at most n characters is one n-gram, padded
    with 0), sorted by department (dix, ascending over the slots), n-gram and slot: (slot of each,
    whether it begins a new n-gram of its department). Whole departments of about _GRAMS n-grams are
    sorted at a time, so that the sort's gathers stay in cache and its cost per n-gram stays the same
    for a whole province as for a town; a department of more n-grams is sorted alone."""
    m = np.maximum(length - n + 1, 1)
    offset = np.cumsum(m) - m                                # n-grams before each slot
    dept_first = np.flatnonzero(np.diff(dix, prepend=-1))
    padded = np.concatenate([chars, np.zeros(n, chars.dtype)])
    slots, new = [], []
    for c0, c1 in _runs(offset[dept_first] // _GRAMS):
        s0, s1 = dept_first[c0], dept_first[c1] if c1 < len(dept_first) else len(m)
        slot = np.repeat(np.arange(s0, s1), m[s0:s1])
        pos = _spans(start[s0:s1], m[s0:s1])
        glen = length[slot]
        columns = [padded[pos]] + [np.where(glen > i, padded[pos + i], 0) for i in range(1, n)]
        if c1 - c0 > 1:                                      # the department, most significant
            columns.insert(0, (dix[slot] - dix[s0]).astype(np.min_scalar_type(c1 - c0)))
        order = np.arange(len(slot))
        for column in reversed(columns):                     # least significant first, each stable
            order = order[np.argsort(column[order], kind="stable")]
        slot = slot[order]
        fresh = np.concatenate([[True], np.logical_or.reduce([np.diff(c[order]) != 0 for c in columns])])
        keep = fresh | np.concatenate([[True], np.diff(slot) != 0])
        slots.append(slot[keep])
        new.append(fresh[keep])
    return np.concatenate(slots), np.concatenate(new)


def _add_pairs(counts: np.ndarray, gstart: np.ndarray, gsize: np.ndarray, slot: np.ndarray,
               eloc: np.ndarray, s0: int, k: int) -> None:
    """Add one to the cell of each pair of entries e < e' of each group (gstart:gstart+gsize), about
    _PAIRS pairs at a time: row slot[e] - s0, column eloc[e'] of k."""
    npairs = gsize * (gsize - 1) // 2
    for c0, c1 in _runs((np.cumsum(npairs) - npairs) // _PAIRS):
        entry = _spans(gstart[c0:c1], gsize[c0:c1])
        later = np.repeat(gstart[c0:c1] + gsize[c0:c1] - 1, gsize[c0:c1]) - entry
        counts += np.bincount(np.repeat((slot[entry] - s0) * k, later) + eloc[_spans(entry + 1, later)],
                              minlength=len(counts))


def _add_products(counts: np.ndarray, dept: np.ndarray, eloc: np.ndarray, gstart: np.ndarray, gsize: np.ndarray
                  ) -> None:
    """Add the groups (sorted by dept, the department's index in counts) as X·Xᵀ per department, X the
    systems × groups 0/1 matrix padded to the most groups of a department, about _CELLS cells of X at a
    time (float32 sums of ones are exact to 2²⁴). On one BLAS thread: a department's product is far too
    small to share, and a second thread that has to be waited for while the database or the web
    workers hold the other core made these products 0.06 s → 1 s at 200,000 systems in 2,000
    departments."""
    if not len(dept):
        return
    per_dept = np.bincount(dept, minlength=len(counts))
    h = int(per_dept.max())
    column = np.arange(len(dept)) - np.repeat(np.cumsum(per_dept) - per_dept, per_dept)
    k = counts.shape[1]
    step = max(1, _CELLS // (k * h))
    with _THREADS.limit(limits=1, user_api="blas"):
        for c0 in range(0, len(counts), step):
            g0, g1 = np.searchsorted(dept, [c0, c0 + step])
            x = np.zeros((min(step, len(counts) - c0), k, h), np.float32)
            x.reshape(-1)[np.repeat((dept[g0:g1] - c0) * k * h + column[g0:g1], gsize[g0:g1])
                          + eloc[_spans(gstart[g0:g1], gsize[g0:g1])] * h] = 1
            counts[c0:c0 + step] += (x @ x.transpose(0, 2, 1)).astype(np.int32)


def _best(counts: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each system of equal-sized departments (counts: each one's shared n-grams with every system
    of its department; size: each one's distinct n-grams), the first column of the highest Dice
    score and the score, a few rows at a time to keep the temporaries small."""
    rows, column_size = counts.reshape(-1, counts.shape[2]), size.reshape(-1, counts.shape[2])
    j, best = np.empty(len(rows), np.int64), np.empty(len(rows))
    step = max(1, _ROWS // counts.shape[2])
    for r0 in range(0, len(rows), step):
        dice = 2.0 * rows[r0:r0 + step]
        dice /= size[r0:r0 + step, None] + column_size[np.arange(r0, r0 + len(dice)) // counts.shape[2]]
        j[r0:r0 + step] = dice.argmax(axis=1)            # the first of equal scores: the lowest index
        best[r0:r0 + step] = dice[np.arange(len(dice)), j[r0:r0 + step]]
    return j, best


def _spans(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """range(start, start + size) for each pair, concatenated."""
    return np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())


def _runs(keys: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of equal values in a sorted array."""
    starts = np.flatnonzero(np.diff(keys, prepend=keys[:1] - 1))
    return zip(starts.tolist(), np.append(starts[1:], len(keys)).tolist(), strict=False)
