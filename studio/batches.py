"""Batch count (A1111's "Batch count", ``n_iter``): a job's images made in
several runs of the engine, one after another, each making ``n`` at once.

A local GPU holds a batch of ``n`` images in memory at once; more batches cost
only time. Seeds go on from one batch to the next (seed, seed+1, …), as A1111
numbers them, and the progress bar covers every batch.
"""

from __future__ import annotations

import dataclasses

from .backends.base import Progress


def generate_batches(backend, request, count: int, report, should_cancel) -> list:
    """The images of ``count`` runs of ``backend.generate``."""
    results = []
    for batch in range(count):
        offset = batch * request.n  # seeds and variation seeds go on from batch to batch
        part = dataclasses.replace(
            request,
            seed=request.seed + offset,
            variation_seed=request.variation_seed + offset if request.variation_seed else 0,
        )
        on_progress = report if count == 1 else _batch_progress(report, batch, count)
        results.extend(backend.generate(part, on_progress, should_cancel))
    return results


def _batch_progress(report, batch: int, count: int):
    """``report`` for one batch of ``count``: sampling steps count across all."""

    def on_progress(progress: Progress) -> None:
        if progress.phase == "sampling" and progress.total:
            progress = dataclasses.replace(
                progress,
                step=batch * progress.total + progress.step,
                total=count * progress.total,
                message=" · ".join(
                    part for part in (f"Batch {batch + 1} of {count}", progress.message) if part
                ),
            )
        report(progress)

    return on_progress
