"""Modeled cycles of a tiled layer (integer fixed point, 1/Q cycle units).

Per tile ``i`` (sizes ``h_i x w_i x c_i`` outputs), on ``P`` cores:

    compute_i = cpo * f_h(h_i) * w_i * f_c(c_i) + tile_overhead
    cpo       = macs_per_output / MACs_per_cycle_per_core(kernel) [+ requant_cycles]

The work is split over the cores along one dimension, as PULP-NN's kernels do: output
rows for conv/pointwise/elementwise (channels when there are fewer rows than cores),
channels for depthwise, pooling and fully-connected. That dimension's factor is
``ceil(size / P)`` (the slowest core sets the time, so a tile not divisible across cores
pays for it). For conv/pointwise, every output channel past the last multiple of 4 costs
``1 + leftover_channel_penalty`` channels (SIMD kernels do 4 channels at a time).

DMA: every transfer costs ``dma_setup + bytes / bandwidth`` (L1 level's numbers), with
transfers and bytes counted exactly by :func:`schedule.count_dma`.

Layer (double buffering: the DMA of one tile overlaps the computation of another):

    cycles = exposed + max(sum_i compute_i, dma - exposed)  [+ L3 weight streaming]

``exposed`` is what cannot overlap any computation: the first tile's loads (with the
parameter arrays) and the last tile's store. This is the per-tile ``max(compute, DMA)``
of the reference idea (the analytical memory-bandwidth model of Stoutchinin, Conti and
Benini, "Optimally scheduling CNN convolutions for efficient memory access", 2019: pick
the tiling that minimizes modeled traffic time under the buffer capacity) with the
per-tile terms taken at their average over the layer, which makes it a sum of products
of per-dimension terms - what the CP-SAT model can express exactly. Bursts of reloads
and uneven edge tiles are therefore averaged, a stated modeling simplification.

Everything is integer (fixed point, ``Q`` units per cycle) so the CP-SAT objective and
this enumeration are the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinydeploy.targets import Target
from tinydeploy.tiling.problem import LayerGeometry, Tiling
from tinydeploy.tiling.schedule import count_dma, iter_tiles

Q = 1000   # cost units per cycle


@dataclass(frozen=True)
class CostModel:
    """Integer parameters of the cost model for one layer on one target."""

    cpo_q: int            # Q x cycles per output (per core), requant included
    overhead_q: int       # Q x cycles per tile
    setup_q: int          # Q x cycles per DMA transfer
    byte_q: int           # Q x cycles per DMA byte
    cores: int
    par_dim: str          # "h" or "c": the dimension split across cores
    leftover: int         # extra channel-equivalents per leftover channel (0: no penalty)

    def f_h(self, rows: int) -> int:
        return -(-rows // self.cores) if self.par_dim == "h" else rows

    def f_c(self, chans: int) -> int:
        eff = chans + self.leftover * (chans % 4)
        return -(-eff // self.cores) if self.par_dim == "c" else eff

    def tile_compute_q(self, rows: int, cols: int, chans: int) -> int:
        """Q x cycles of one tile, excluding the per-tile overhead."""
        return self.cpo_q * self.f_h(rows) * cols * self.f_c(chans)

    def dma_q(self, nbytes: int, transfers: int) -> int:
        return self.setup_q * transfers + self.byte_q * nbytes


def par_dim(geom: LayerGeometry, cores: int) -> str:
    if geom.kernel_class in ("conv", "pointwise", "elementwise"):
        return "h" if geom.out_h >= cores else "c"
    return "c"


def cost_model(geom: LayerGeometry, target: Target) -> CostModel:
    k = target.kernels
    cpo = geom.macs_per_output / k.macs_per_cycle(geom.kernel_class)
    if geom.requant:
        cpo += k.requant_cycles
    l1 = target.memory[0]
    flat = l1.bandwidth is None
    penal = k.leftover_channel_penalty if geom.kernel_class in ("conv", "pointwise") else 0
    return CostModel(cpo_q=round(cpo * Q), overhead_q=k.tile_overhead * Q,
                     setup_q=0 if flat else l1.dma_setup * Q,
                     byte_q=0 if flat else round(Q / l1.bandwidth),
                     cores=target.cores, par_dim=par_dim(geom, target.cores), leftover=penal)


def l3_stream_q(target: Target, nbytes: int) -> int:
    """Q x cycles to bring ``nbytes`` of weights from L3 into L2 (one transfer, exposed)."""
    if nbytes == 0 or len(target.memory) < 3:
        return 0
    l2 = target.memory[1]
    return l2.dma_setup * Q + round(Q / l2.bandwidth) * nbytes


@dataclass(frozen=True)
class Cost:
    """Modeled cycles of one layer, in Q units; the properties give cycles."""

    compute_q: int
    dma_q: int
    exposed_q: int
    l3_q: int = 0

    @property
    def total_q(self) -> int:
        return self.exposed_q + max(self.compute_q, self.dma_q - self.exposed_q) + self.l3_q

    @property
    def compute_cycles(self) -> float:
        return self.compute_q / Q

    @property
    def dma_cycles(self) -> float:
        return self.dma_q / Q

    @property
    def exposed_cycles(self) -> float:
        return self.exposed_q / Q

    @property
    def l3_cycles(self) -> float:
        return self.l3_q / Q

    @property
    def total_cycles(self) -> float:
        return self.total_q / Q


def layer_cost(geom: LayerGeometry, tiling: Tiling, target: Target, l3_bytes: int = 0) -> Cost:
    """The modeled cost of ``tiling``, by walking every tile (the reference evaluation)."""
    m = cost_model(geom, target)
    compute = 0
    first = last = None
    for tile in iter_tiles(geom, tiling):
        (h0, h1), (w0, w1), (c0, c1) = tile.out
        compute += m.tile_compute_q(h1 - h0, w1 - w0, c1 - c0) + m.overhead_q
        if first is None:
            first = tile
        last = tile
    compute *= geom.batches
    dma = count_dma(geom, tiling)
    if target.flat:
        return Cost(compute, 0, 0, 0)
    first_bytes = (geom.n_inputs * first.in_elems + first.channels * geom.weight_bytes_per_oc
                   + dma.param_bytes)
    first_transfers = geom.n_inputs + (1 if geom.weight_bytes_per_oc else 0) \
        + dma.param_transfers
    exposed = m.dma_q(first_bytes, first_transfers) + m.dma_q(last.out_elems, 1)
    return Cost(compute, m.dma_q(dma.in_bytes + dma.out_bytes, dma.transfers), exposed,
                l3_stream_q(target, l3_bytes))
