"""Each family's training recipe: the paper's (ImageNet or CIFAR scale), and one for small data.

A `Recipe` holds the paper's recipe in its own words (`text`: optimizer, schedule, batch,
augmentation, input size, with the section it comes from), the nearest TrainConfig settings
(`paper`), and a small-data recipe (`small`) that trains the family stably on mnist-mini and
Fashion-MNIST in minutes on a CPU (tests/train/test_recipes.py). `convzoo train` uses `small` on
the in-memory datasets (mnist-mini, the MNIST-likes, CIFAR, shapes) and `paper` on image folders;
`--recipe paper|small` chooses either. `convzoo info MODEL` prints both.

The paper settings are the nearest the trainer expresses: where a paper lowered the rate by hand
"when the validation error stopped improving", the step schedule divides it by 10 every third of
the run; RMSProp (Inception v3, MobileNet, EfficientNet) has no TrainConfig counterpart and is
given as SGD with momentum at the paper's rate, said in `deviation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The small-data recipe of the batch-normalised families: AdamW with warmup and a cosine decay is
# stable from the first step at any depth (SGD at 0.05 sent a 28x28 ResNet-50's BatchNorm
# statistics, and with them its test loss, to 1e5 in the first epoch).
SMALL_NORMALISED: dict[str, Any] = dict(
    optimizer="adamw",
    lr=2e-3,
    weight_decay=0.05,
    schedule="cosine",
    warmup_epochs=1.0,
    batch_size=64,
    epochs=10,
    label_smoothing=0.1,
    grad_clip=5.0,
)
# Without normalisation layers (AlexNet, ZFNet, VGG, NiN, SqueezeNet): AdamW at a peak of 3e-4.
# SGD with Nesterov momentum at 0.01 and two warmup epochs, these families' first small recipe,
# left zfnet at chance (test loss 2.310) and alexnet above it (2.379) after 192 steps of 16 images
# on mnist-mini, where AdamW at 3e-4 reached 1.303 (zfnet); SGD at 0.02 (NiN) and AdamW at 2e-3
# (SqueezeNet) stayed at chance too: once the last ReLU's outputs are all zero the logits are
# equal and no gradient brings them back.
SMALL_PLAIN: dict[str, Any] = dict(SMALL_NORMALISED, lr=3e-4, epochs=30)


# The batch-normalised families whose first epoch's test loss spiked at SMALL_NORMALISED's peak
# of 2e-3 in the recipe check's 192 steps (BatchNorm's running statistics behind the weights):
# a peak of 5e-4.
SMALL_LOWER_PEAK: dict[str, Any] = dict(SMALL_NORMALISED, lr=5e-4)


def lower_peak_why(model: str, spike: str, losses: str) -> str:
    """The small_why of a SMALL_LOWER_PEAK family: `model`'s first-epoch test loss at 2e-3 and the
    epochs' test losses at 5e-4, as tests/train/test_recipes.py measured them."""
    return (
        f"a peak of 5e-4: after 192 steps of 16 images on mnist-mini at 2e-3 the first epoch's test "
        f"loss of {model} was {spike} (BatchNorm's running statistics behind the weights); at 5e-4 "
        f"the epochs' test losses were {losses} (tests/train/test_recipes.py)"
    )


# The 28x28 digit sets, where a family's small recipe may train at its own side (Recipe.small_size).
DIGIT_SETS = ("mnist-mini", "mnist", "fashion-mnist", "kmnist")


@dataclass(frozen=True)
class Recipe:
    """A family's recipe: the paper's words and settings, and the small-data settings."""

    source: str  # the paper and section that states it
    text: str  # the paper's recipe: optimizer, schedule, batch, augmentation, input size
    paper: dict[str, Any]  # the nearest TrainConfig settings
    small: dict[str, Any] = field(default_factory=lambda: dict(SMALL_NORMALISED))
    deviation: str = ""  # where `paper` differs from `text`
    # The small recipe's image side on the 28x28 digit sets (DIGIT_SETS; None: the data's side
    # brought up to the model's minimum), and why the small recipe is what it is.
    small_size: int | None = None
    small_why: str = ""

    def settings(self, which: str, data: str | None = None) -> dict[str, Any]:
        """The TrainConfig overrides of 'paper' or 'small' (on `data`: the small side of the digit sets)."""
        if which not in ("paper", "small"):
            raise ValueError(f"recipe must be paper or small, got {which!r}")
        if which == "paper":
            return dict(self.paper)
        sized = self.small_size is not None and data in DIGIT_SETS
        return {**self.small, "image_size": self.small_size} if sized else dict(self.small)


def _imagenet_sgd(lr: float, batch: int, epochs: int, wd: float, **kw: Any) -> dict[str, Any]:
    """SGD with momentum 0.9, the rate divided by 10 every third of the run (step schedule)."""
    return dict(
        optimizer="sgd", lr=lr, momentum=0.9, nesterov=False, weight_decay=wd, schedule="step",
        step_gamma=0.1, warmup_epochs=0.0, label_smoothing=0.0, batch_size=batch, epochs=epochs,
        decay_norm_and_bias=True, **kw,
    )  # fmt: skip


UNET_PAPER: dict[str, Any] = dict(
    optimizer="sgd",
    momentum=0.99,
    nesterov=False,
    lr=0.01,
    batch_size=1,
    schedule="constant",
    warmup_epochs=0.0,
    weight_decay=0.0,
    label_smoothing=0.0,
    epochs=20,
    eval_batch_size=8,
)
BY_HAND = "the rate lowered by hand when the validation error stopped improving: here every third of the run"
RMSPROP = "RMSProp is not among the trainer's optimizers: SGD with momentum 0.9 at the paper's rate"

FAMILY_RECIPES: dict[str, Recipe] = {
    "lenet": Recipe(
        "LeCun et al. 1998, Sec. II-B and III-C",
        "stochastic diagonal Levenberg-Marquardt, one image per update, 20 passes over MNIST; global rate "
        "5e-4 (2 passes), 2e-4 (3), 1e-4 (3), 5e-5 (4), then 1e-5; 28x28 digits centred in 32x32; no "
        "augmentation (the distorted-digit runs aside)",
        dict(
            optimizer="sgd",
            lr=5e-4,
            momentum=0.0,
            nesterov=False,
            weight_decay=0.0,
            schedule="step",
            step_epochs=5,
            step_gamma=0.2,
            warmup_epochs=0.0,
            label_smoothing=0.0,
            batch_size=1,
            epochs=20,
            augment="none",
            threads=1,
        ),
        # Small and BN-free: AdamW with a one-cycle schedule converges in a few epochs. One thread
        # and portable kernels: the README quotes this run's numbers (the main job, on mnist-mini),
        # and sums split over another number of threads, or done by another CPU's kernels, come out
        # in other last digits. On full MNIST, the speed benchmark, the recipe runs on the CPU's own
        # kernels with threads chosen by timed steps (train.config.DATASET_RECIPES).
        dict(
            optimizer="adamw",
            lr=6e-3,
            weight_decay=1e-4,
            schedule="onecycle",
            warmup_epochs=0.0,
            batch_size=64,
            epochs=12,
            label_smoothing=0.0,
            threads=1,
            portable_kernels=True,  # the README quotes the main job's numbers (see train.kernels)
        ),
        "plain SGD instead of the diagonal Levenberg-Marquardt step sizes; the rate divided by 5 every "
        "5 passes instead of the five-step table",
    ),
    "alexnet": Recipe(
        "Krizhevsky et al. 2012, Sec. 4.1 and 5",
        "SGD, batch 128, momentum 0.9, weight decay 5e-4, rate 0.01 divided by 10 three times when the "
        "validation error stopped improving, about 90 epochs; random 224x224 crops of 256x256 images and "
        "their mirror images, PCA colour noise; dropout 0.5 in fc6 and fc7",
        _imagenet_sgd(0.01, 128, 90, 5e-4),
        dict(SMALL_PLAIN, lr=1e-3),
        BY_HAND + "; no PCA colour noise",
        small_why="the paper's initialisation (N(0, 0.01), biases of 1) starts from nearly constant "
        "logits: after 192 steps of 16 images on mnist-mini AdamW at 3e-4 left alexnet at chance (test "
        "loss 2.313) and at 1e-3 reached 1.785 (tests/train/test_recipes.py)",
    ),
    "zfnet": Recipe(
        "Zeiler & Fergus 2013, Sec. 3",
        "SGD, batch 128, momentum 0.9, rate 0.01 annealed by hand when the validation error plateaus, "
        "70 epochs; 224x224 crops (corners and centre) of 256x256 images and flips; dropout 0.5 in the "
        "fully connected layers; weights initialised at 1e-2, biases at 0",
        _imagenet_sgd(0.01, 128, 70, 5e-4),
        dict(SMALL_PLAIN),
        BY_HAND + "; the weight decay (not stated) is AlexNet's",
    ),
    "vgg": Recipe(
        "Simonyan & Zisserman 2015, Sec. 3.1",
        "SGD, batch 256, momentum 0.9, weight decay 5e-4, dropout 0.5 in fc6 and fc7; rate 0.01 divided by "
        "10 when the validation accuracy stopped improving (three times, 74 epochs); random 224x224 "
        "crops of images rescaled to a shorter side of 256, 384 or jittered in [256, 512], flips, RGB "
        "colour shift; the deeper nets start from configuration A (--init-from)",
        _imagenet_sgd(0.01, 256, 74, 5e-4),
        dict(SMALL_PLAIN),
        BY_HAND,
    ),
    "nin": Recipe(
        "Lin et al. 2014, Sec. 4.1",
        "the procedure of Krizhevsky et al.: mini-batches of 128, rates and initial weights set by hand, "
        "the rate divided by 10 when the accuracy on the training set stops improving; dropout after all "
        "but the last mlpconv layer; CIFAR-10 with global contrast normalisation and ZCA whitening",
        _imagenet_sgd(0.1, 128, 120, 1e-4),
        dict(SMALL_PLAIN),
        BY_HAND + "; the initial rate and weight decay are not stated: 0.1 and 1e-4 here",
        small_why="no normalisation and a ReLU before the global average: SGD at 0.02 with two warmup "
        "epochs was still at chance after 192 steps on mnist-mini (test loss 2.305); AdamW at 3e-4 "
        "(tests/train/test_recipes.py)",
    ),
    "inception": Recipe(
        "Szegedy et al. 2014, Sec. 6 (GoogLeNet)",
        "asynchronous SGD with momentum 0.9, the rate decreased by 4% every 8 epochs, Polyak averaging "
        "for the final model; crops of 8% to 100% of the image area with aspect ratios 3/4 to 4/3, "
        "photometric distortions; 224x224 input; auxiliary classifiers weighted 0.3 (Inception v3, "
        "Sec. 8: RMSProp, rate 0.045 decayed by 0.94 every two epochs, clipping at 2.0, label smoothing 0.1)",
        dict(_imagenet_sgd(0.045, 256, 100, 4e-5), step_epochs=8, step_gamma=0.96),
        dict(SMALL_LOWER_PEAK),
        deviation="synchronous SGD; the rate and batch (not stated) are Inception v3's; no Polyak averaging",
        small_why="a peak of 5e-4: googlenet_tv's first-epoch test loss on mnist-mini was 19.95 at 2e-3 "
        "and 11.86 at 1e-3 (BatchNorm's running statistics behind the weights at the end of the warmup; "
        "at 1e-3 then 1.18 and 0.54)",
    ),
    "highway": Recipe(
        "Srivastava et al. 2015, Sec. 3 and 4",
        "SGD with momentum; the learning rate, its decay, momentum and the transform-gate bias "
        "(negative, -1 to -3) chosen by random search per depth on MNIST; CIFAR: SGD with momentum and "
        "a step-wise decaying rate, the augmentation of FitNets (translation, flips)",
        _imagenet_sgd(0.1, 128, 100, 5e-4),
        deviation="the searched values are not published per network: rate 0.1 and weight decay 5e-4 here",
    ),
    "unet": Recipe(
        "Ronneberger et al. 2015, Sec. 3 and 3.1",
        "SGD (Caffe), a batch of one large tile, momentum 0.99 (so that a large number of the previously "
        "seen samples determine the update); a pixel-wise weighted cross-entropy that stresses the "
        "borders between touching cells; elastic deformations on a 3x3 grid (10-pixel displacements), "
        "shifts, rotations and grey-value variations; 572x572 input tiles",
        UNET_PAPER,
        dict(UNET_PAPER),  # the generated shapes-seg has its own row (config.DATASET_RECIPES)
        deviation="no learning rate is given: 0.01, constant",
    ),
    "preact_resnet": Recipe(
        "He et al. 2016 (Identity Mappings), Sec. 4 and Appendix",
        "as ResNet: SGD, momentum 0.9, weight decay 1e-4; CIFAR: batch 128, rate 0.1 (0.01 for the first "
        "400 iterations of the 1001-layer net) divided by 10 at 32k and 48k iterations, 64k in all, "
        "4-pixel padding with 32x32 crops and flips; ImageNet: batch 256, 224x224 scale-augmented crops",
        _imagenet_sgd(0.1, 128, 164, 1e-4),
        small_size=16,
        small_why="the CIFAR nets keep the input's side in their first stage: 16x16 digits, 0.55 s a step "
        "of 16 images on one core against 1.18 s at 28x28 (benchmarks/RESULTS-recipe-steps.md)",
    ),
    "resnet": Recipe(
        "He et al. 2016, Sec. 3.4 (ImageNet) and 4.2 (CIFAR-10)",
        "SGD, batch 256, momentum 0.9, weight decay 1e-4, rate 0.1 divided by 10 when the error plateaus, "
        "up to 600k iterations, no dropout; 224x224 crops of images with the shorter side random in "
        "[256, 480], flips, colour augmentation. CIFAR-10: batch 128, rate 0.1 divided by 10 at 32k and "
        "48k iterations, 64k in all, 4-pixel padding and 32x32 crops with flips",
        _imagenet_sgd(0.1, 256, 90, 1e-4),
        dict(SMALL_LOWER_PEAK),
        deviation=BY_HAND,
        small_why=lower_peak_why("plain20", "20.2", "2.124, 1.744, 1.589"),
    ),
    "squeezenet": Recipe(
        "Iandola et al. 2016, Sec. 4 and the authors' Caffe solver",
        "SGD, momentum 0.9, weight decay 2e-4, rate 0.04 decaying linearly to zero, batch 512, "
        "170k iterations; 227x227 crops of 256x256 images and flips",
        dict(_imagenet_sgd(0.04, 512, 68, 2e-4), schedule="cosine"),
        dict(SMALL_PLAIN),
        deviation="a cosine decay instead of the linear one",
        small_why="no normalisation and a ReLU after conv10, before the global average: AdamW at 2e-3 "
        "left squeezenet1_1 at chance after 192 steps on mnist-mini; AdamW at 3e-4 "
        "(tests/train/test_recipes.py)",
    ),
    "wide_resnet": Recipe(
        "Zagoruyko & Komodakis 2016, Sec. 4",
        "SGD with Nesterov momentum 0.9 (no dampening), weight decay 5e-4, batch 128, rate 0.1 multiplied "
        "by 0.2 at epochs 60, 120 and 160, 200 epochs; CIFAR: 4-pixel reflection padding, 32x32 crops, "
        "flips; dropout 0.3 between the convolutions of a block where stated",
        dict(_imagenet_sgd(0.1, 128, 200, 5e-4), nesterov=True, step_epochs=60, step_gamma=0.2),
        small_size=8,
        small_why="WRN-28-10 keeps its 640-channel maps at the input's side/4: on 8x8 digits a step of 16 "
        "images took 2.5 s on one core, 12x12 3.5 s, 28x28 14.8 s (benchmarks/RESULTS-recipe-steps.md)",
    ),
    "densenet": Recipe(
        "Huang et al. 2017, Sec. 4.2",
        "SGD with Nesterov momentum 0.9 (no dampening), weight decay 1e-4; CIFAR: batch 64, 300 epochs, "
        "rate 0.1 divided by 10 at 50% and 75% of training; ImageNet: batch 256, 90 epochs, rate 0.1 "
        "divided by 10 at epochs 30 and 60; dropout 0.2 after each convolution without augmentation",
        dict(_imagenet_sgd(0.1, 256, 90, 1e-4), nesterov=True, step_epochs=30),
        small_size=16,
        small_why="the CIFAR DenseNets keep the input's side in their first block: 16x16 digits, 0.76 s "
        "a step of 16 images on one core against 1.87 s at 28x28 (benchmarks/RESULTS-recipe-steps.md)",
    ),
    "fpn": Recipe(
        "Lin et al. 2017, Sec. 5.1 and 5.2",
        "synchronous SGD on 8 GPUs, 2 images per GPU, momentum 0.9, weight decay 1e-4, rate 0.02 for 30k "
        "mini-batches and 0.002 for the next 10k (RPN: 256 anchors per image); images resized to a "
        "shorter side of 800 pixels",
        dict(_imagenet_sgd(0.02, 16, 12, 1e-4), step_epochs=9, eval_batch_size=16),
        dict(
            optimizer="adamw",
            lr=1e-3,
            weight_decay=1e-4,
            batch_size=8,
            schedule="cosine",
            warmup_epochs=1.0,
            label_smoothing=0.0,
            epochs=20,
            eval_batch_size=16,
        ),
    ),
    "mobilenet": Recipe(
        "Howard et al. 2017, Sec. 3.4 (v1); Sandler et al. 2018, Sec. 6.1 (v2)",
        "RMSProp with asynchronous gradient descent as Inception v3, less regularisation and "
        "augmentation (no side heads or label smoothing, smaller crops), little or no weight decay on the "
        "depthwise filters; 224x224. v2: RMSProp, decay and momentum 0.9, weight decay 4e-5, rate 0.045 "
        "decayed by 0.98 per epoch, batch 96 on 16 GPUs",
        # Depthwise convolutions run faster channels_last: a MobileNet v2 / v3-Small training step
        # took 0.68x / 0.78x the contiguous step's time (benchmarks/RESULTS-speed-channels-last.md).
        dict(_imagenet_sgd(0.045, 96, 150, 4e-5), step_epochs=1, step_gamma=0.98, channels_last=True),
        dict(SMALL_NORMALISED, channels_last=True),
        deviation=RMSPROP,
    ),
    "resnext": Recipe(
        "Xie et al. 2017, Sec. 5.1",
        "SGD, batch 256 on 8 GPUs, momentum 0.9, weight decay 1e-4, rate 0.1 divided by 10 three times "
        "(ResNet's schedule); 224x224 crops with the scale and aspect-ratio augmentation of Szegedy et "
        "al.; BatchNorm after each convolution",
        _imagenet_sgd(0.1, 256, 90, 1e-4),
        dict(SMALL_LOWER_PEAK),
        deviation=BY_HAND,
        small_why=lower_peak_why("resnext50_32x4d", "528", "2.316, 2.436, 1.286"),
    ),
    "xception": Recipe(
        "Chollet 2017, Sec. 4.3",
        "ImageNet: SGD, momentum 0.9, rate 0.045 decayed by 0.94 every 2 epochs, weight decay 1e-5, dropout "
        "0.5 before the classifier, no auxiliary tower, Polyak averaging at inference; 299x299",
        dict(_imagenet_sgd(0.045, 256, 100, 1e-5), step_epochs=2, step_gamma=0.94),
    ),
    "nasnet": Recipe(
        "Zoph et al. 2018, Sec. 4 and Appendix A",
        "CIFAR-10: SGD with momentum 0.9, a cosine schedule over 600 epochs, ScheduledDropPath, cutout, "
        "an auxiliary head weighted 0.4; ImageNet: label smoothing 0.1, auxiliary head, dropout, "
        "ScheduledDropPath; 331x331 (A-large) or 224x224 (A-mobile)",
        dict(_imagenet_sgd(0.1, 128, 600, 5e-4), schedule="cosine", label_smoothing=0.1),
        deviation="the rate and batch (not stated in the text): 0.1 and 128; no ScheduledDropPath or cutout",
    ),
    "senet": Recipe(
        "Hu et al. 2018, Sec. 6",
        "synchronous SGD, momentum 0.9, batch 1024, rate 0.6 divided by 10 every 30 epochs, 100 epochs "
        "from scratch; 224x224 random-size crops (320x320 for Inception-ResNet-v2 and SE-ResNeXt-101) "
        "and flips; balanced-data sampling",
        dict(_imagenet_sgd(0.6, 1024, 100, 1e-4), step_epochs=30),
        dict(SMALL_LOWER_PEAK),
        small_why=lower_peak_why("seresnext50_32x4d", "527", "1.593, 1.249, 0.639"),
    ),
    "efficientnet": Recipe(
        "Tan & Le 2019, Sec. 5.2",
        "RMSProp, decay 0.9, momentum 0.9; BatchNorm momentum 0.99; weight decay 1e-5; rate 0.256 decayed "
        "by 0.97 every 2.4 epochs; SiLU, AutoAugment, stochastic depth with survival probability 0.8, "
        "dropout 0.2 (B0) to 0.5 (B7); input 224 (B0) to 600 (B7)",
        dict(_imagenet_sgd(0.256, 4096, 350, 1e-5), step_epochs=2, step_gamma=0.97),
        deviation=RMSPROP + "; decay every 2 epochs instead of 2.4; no AutoAugment",
    ),
    "vit": Recipe(
        "Dosovitskiy et al. 2021, Sec. 4.1 and Table 3",
        "Adam (beta 0.9, 0.999), batch 4096, high weight decay, linear warmup (10k steps) then cosine "
        "decay; ImageNet from scratch: 300 epochs, rate 3e-3, weight decay 0.3, dropout 0.1; 224x224",
        dict(
            optimizer="adamw",
            lr=3e-3,
            weight_decay=0.3,
            schedule="cosine",
            warmup_epochs=10.0,
            label_smoothing=0.0,
            batch_size=4096,
            epochs=300,
            grad_clip=1.0,
        ),
        deviation="AdamW's decoupled weight decay for Adam's",
        small_size=32,
        small_why="the digits are padded to 32x32, four 16-pixel patches: 28 is not a multiple of the patch",
    ),
    "convnext": Recipe(
        "Liu et al. 2022, Appendix A.1",
        "AdamW, rate 4e-3, batch 4096, 300 epochs with 20 warmup epochs and a cosine decay, weight decay "
        "0.05, Mixup 0.8, CutMix 1.0, RandAugment (9, 0.5), random erasing 0.25, label smoothing 0.1, "
        "stochastic depth 0.1/0.4/0.5/0.5 (T/S/B/L), layer scale 1e-6, EMA 0.9999; 224x224",
        dict(
            optimizer="adamw",
            lr=4e-3,
            weight_decay=0.05,
            schedule="cosine",
            warmup_epochs=20.0,
            label_smoothing=0.1,
            batch_size=4096,
            epochs=300,
            ema_decay=0.9999,
        ),
        deviation="no Mixup, CutMix, RandAugment or random erasing",
    ),
    "blockqnn": Recipe(
        "Zhong et al. 2018, Sec. 4",
        "the best blocks of the Q-learning search are stacked into a full network that is trained from "
        "scratch on CIFAR-10 and ImageNet; here with ResNet's CIFAR-10 schedule: SGD, momentum 0.9, "
        "weight decay 1e-4, batch 128, rate 0.1 divided by 10 twice, 4-pixel padding with crops and flips",
        _imagenet_sgd(0.1, 128, 164, 1e-4),
        dict(SMALL_LOWER_PEAK),
        deviation="the paper's final-training hyperparameters are not restated: ResNet's CIFAR recipe",
        small_why=lower_peak_why("blockqnn_s", "14.9", "3.951, 0.690, 0.395"),
    ),
    "yolo": Recipe(
        "Redmon et al. 2016, Sec. 2.2",
        "135 epochs on VOC 2007+2012, batch 64, momentum 0.9, weight decay 5e-4; rate raised from 1e-3 to "
        "1e-2 over the first epochs, 1e-2 for 75 epochs, 1e-3 for 30, 1e-4 for 30; dropout 0.5 after the "
        "first connected layer; random scaling and translation up to 20%, exposure and saturation up "
        "to 1.5 in HSV; 448x448 (the first 20 layers pretrained at 224x224)",
        dict(_imagenet_sgd(0.01, 64, 135, 5e-4), warmup_epochs=2.0, step_epochs=75, eval_batch_size=64),
        # the paper's settings with a cosine decay for the step-downs: what yolo_v1_mini trains with
        # on shapes-detect (benchmarks/RESULTS-detection.md)
        dict(
            optimizer="sgd",
            momentum=0.9,
            nesterov=False,
            lr=0.01,
            weight_decay=5e-4,
            batch_size=64,
            schedule="cosine",
            warmup_epochs=2.0,
            label_smoothing=0.0,
            epochs=135,
            eval_batch_size=64,
        ),
        deviation="a linear warmup, then the rate divided by 10 every 75 epochs",
    ),
}


def family_recipe(family: str) -> Recipe | None:
    """The family's Recipe (None for a family without one)."""
    return FAMILY_RECIPES.get(family)
