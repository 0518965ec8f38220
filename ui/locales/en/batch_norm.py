"""Batch normalization, watched (d2l 8.5): app_pages/batch_norm.py."""

from cnnviz.plots.batch_norm import LABELS

TEXT = {
    "title": "Batch normalization",
    "lesson": "8.5 Batch Normalization",
    "intro": "A batch norm layer normalizes each channel with the **mean and variance of the "
    "current minibatch**, then scales and shifts it with learned γ and β. While training it "
    "also keeps **running averages** of those statistics (momentum 0.1), and in prediction "
    "mode it uses them instead of the batch's. Train LeNet with batch normalization on "
    "Fashion-MNIST and watch one layer's statistics, live.",
    "beyond": "cnnviz goes beyond the book here: the book trains LeNet with batch "
    "normalization at learning rate 0.1 and prints γ and β. The live statistics, the "
    "train-against-eval comparison, the run without batch norm at a high learning rate and "
    "the equality check against `nn.BatchNorm2d` are ours.",
    "setup": "Setup",
    "lr": "Learning rate (both networks)",
    "lr_help": "At 1.0 the plain sigmoid LeNet barely moves for hundreds of steps, while the "
    "one with batch norm learns. The book uses 0.1 for LeNet with batch norm.",
    "steps": "Steps",
    "layer": "Layer to watch",
    "layers": {
        "bn1": "bn1: after conv1 (6 channels)",
        "bn2": "bn2: after conv2 (16 channels)",
    },
    "seed": "Seed (weights and batch order)",
    "channel": "Channel",
    "subset": "{n:,} Fashion-MNIST training images, minibatches of {batch}, plain SGD.",
    "start": "Start",
    "start_help": "Train both networks in the background; the charts update as it runs.",
    "stop": "Stop",
    "reset": "Reset",
    "live": "Live: the chosen layer's statistics",
    "idle": "Press **Start** to train. Nothing has been trained yet.",
    "status": "Step **{n}** of {total} · loss with batch norm {bn:.3f}, without {plain:.3f}",
    "running": "running…",
    "thread_error": "The training thread stopped: {error}",
    "done": "Finished.",
    "over_time": "Channel {c} over the steps: the batch's mean and variance jump from batch "
    "to batch; the running averages follow them slowly.",
    "per_channel": "Every channel at step {n}.",
    "loss_head": "With and without batch normalization",
    "loss_note": "Both networks start from the same weights and see the same batches at the "
    "same learning rate. Without batch norm, the sigmoids' inputs drift and saturate and the "
    "loss stays near ln 10 ≈ 2.30 (guessing); with it, every layer's input is re-centred "
    "and re-scaled at each step, so a large learning rate stays usable.",
    "train_eval": "Training mode against prediction mode, on one batch",
    "train_eval_when": "The network as it is after step {n}, on the first {batch} images.",
    "train_eval_fresh": "The untrained network (running mean 0, running variance 1), on the "
    "first {batch} images. Train, then look again.",
    "refresh": "Compare again",
    "train_eval_numbers": "Largest difference of the outputs (logits): **{max:.4f}**; mean "
    "difference {mean:.4f}; the same predicted class for **{agree:.0%}** of the images.",
    "train_eval_why": "In training mode (`net.train()`) each batch norm layer divides by "
    "this batch's own statistics; in prediction mode (`net.eval()`) it uses the running "
    "averages. They differ because the running averages mix earlier batches (and earlier "
    "weights). That is why a network with batch norm must be switched to `net.eval()` before "
    "testing: a prediction then no longer depends on which other images share its batch.",
    "stats_table": "{layer}, per channel",
    "col_batch_mean": "batch mean",
    "col_running_mean": "running mean",
    "col_batch_var": "batch variance",
    "col_running_var": "running variance",
    "scratch": "The book's batch_norm beside nn.BatchNorm2d",
    "scratch_intro": "The book's from-scratch `batch_norm` (in its `BatchNorm` layer) and "
    "`nn.BatchNorm2d` with the same γ and β, on conv1's outputs for {images} images "
    "({steps} training batches, n = {n:,} values per channel).",
    "quantity": "compared",
    "max_abs": "max |difference|",
    "rows": {
        "train_out": "outputs, training mode",
        "running_mean": "running means",
        "running_var": "running variances",
        "var_unbiased": "running variances, with the batch variance × n/(n−1)",
        "eval_out": "outputs, prediction mode (each its own averages)",
        "eval_same": "outputs, prediction mode (the same averages)",
    },
    "var_note": "The outputs and the running means agree to float rounding. The running "
    "variances do not, quite: the book's function averages the **biased** batch variance "
    "(divided by n), while PyTorch stores the **unbiased** one (divided by n − 1) in "
    "`running_var`, although it normalizes with the biased one. Scaled by n/(n−1) the two "
    "agree. Here n = {n:,}, so the factor is tiny and the prediction-mode outputs still agree "
    "to rounding; with few values per channel (a small batch, or a fully connected layer, "
    "where n is the batch size) the factor grows: 1.008 at n = 128, 1.07 at n = 16.",
    "charts": LABELS,
}
