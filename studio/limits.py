"""Bounds on a generation request, shared by the form and the API."""

PROMPT_MAX = 1000
NEGATIVE_PROMPT_MAX = 1000
STEPS_MIN, STEPS_MAX = 1, 150
CFG_MIN, CFG_MAX = 0.0, 30.0
N_MIN, N_MAX = 1, 8
BATCH_COUNT_MAX = 8  # runs of N images, one after another
IMAGES_PER_JOB_MAX = 16  # N x batch count
SIZE_MIN, SIZE_MAX = 1, 4096  # pixels; each model narrows it (ModelPreset.min_size/max_size)
SEED_MIN, SEED_MAX = -1, 2**32 - 1
SIZE_MULTIPLE = 8
