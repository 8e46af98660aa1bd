"""Process-group setup for ``torchrun``: NCCL on GPU, gloo on CPU; one process works without any group.
Also the device a rank uses and host-to-device transfer of batches.

Usage: ``dist_ctx = setup(device="auto"); ...; teardown(dist_ctx)``
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from trainer.errors import TrainerError


@dataclass(frozen=True)
class DistContext:
    rank: int
    world: int
    local_rank: int
    device: torch.device
    owns_group: bool  # we created the process group, so we destroy it

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def pick_device(name: str, local_rank: int) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise TrainerError("--run.device=cuda but no CUDA device is available")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if name != "cpu":
        raise TrainerError(f"unknown --run.device {name!r} (auto, cpu, cuda)")
    return torch.device("cpu")


def setup(device: str = "auto") -> DistContext:
    """Join the torchrun process group when WORLD_SIZE > 1 (or use an existing one)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    owns = False
    if world > 1 and not dist.is_initialized():
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        dist.init_process_group(
            backend="nccl" if dev.type == "cuda" else "gloo", device_id=dev if dev.type == "cuda" else None
        )
        owns = True
    if dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
    return DistContext(rank=rank, world=world, local_rank=local_rank, device=dev, owns_group=owns)


def teardown(ctx: DistContext) -> None:
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(t: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Sum a tensor over ranks (in place); a no-op for one process."""
    if ctx.world > 1:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def gather_objects(obj: object, ctx: DistContext) -> list[object]:
    """Every rank's ``obj`` on every rank (rank order); ``[obj]`` for one process."""
    if ctx.world == 1:
        return [obj]
    out: list[object] = [None] * ctx.world
    dist.all_gather_object(out, obj)
    return out


def barrier(ctx: DistContext) -> None:
    if ctx.world > 1:
        dist.barrier()


def to_device(ids: np.ndarray, device: torch.device) -> torch.Tensor:
    """Host ids as a tensor on ``device`` (pinned, non-blocking copy on CUDA; shared memory on CPU)."""
    t = torch.from_numpy(ids)
    return t.pin_memory().to(device, non_blocking=True) if device.type == "cuda" else t
