"""Learn a kernel by gradient descent (d2l 7.2.4): the page and ui/kernel_learning.py."""

from cnnviz.kernel_learning import DIVERGE_WORDS, IDENT_WORDS, INIT_LABELS
from cnnviz.plots.kernel_learning import LABELS

TEXT = {
    "title": "Learn a kernel by gradient descent",
    "lesson": "7.2.4 Learning a Kernel",
    "intro": "Can a network *find* the edge detector by itself? Start a convolution from random "
    "numbers, show it the image **X** and the edges **Y = corr2d(X, K)** we want, and "
    "let gradient descent shrink the squared error `(Y_hat − Y) ** 2` step by step "
    "(`weight.data[:] -= lr * weight.grad`). Watch the loss fall and the kernel's "
    "numbers move toward the target.",
    "setup": "Setup",
    "image": "Training image X",
    "image_caption": "{label}: {name}, {h}×{w}",
    "bad_input": "Fix the inputs above to train.",
    "beyond": "cnnviz goes beyond the book here: other targets and images, the loss reduction, "
    "divergence and identifiability.",
    "faithful": "Faithful to the seed",
    "faithful_help": "The book's setting: stripes, K = [1, −1], lr 0.03, 10 epochs, summed loss, "
    "random init. The book's init was random and unseeded; seed {seed} is one we "
    "chose because its printout lands near the book's.",
    "target": "Target kernel",
    "targets": {
        "The kernel from the Cross-correlation page": "The kernel from the Cross-correlation page",
        "Custom (type it)": "Custom (type it)",
    },
    "custom": "Kernel rows, one per line (numbers separated by spaces or commas)",
    "no_xcorr": "No kernel picked on the Cross-correlation page yet; using [1, −1].",
    "lr": "Learning rate (lr)",
    "epochs": "Epochs",
    "seed": "Random seed",
    "init": "Initial kernel",
    "inits": dict(INIT_LABELS),
    "reduction": "Loss",
    "reductions": {
        "sum": "sum (d2l)",
        "mean": "mean over output pixels",
    },
    "pace": "Pace",
    "paces": {
        "auto": "auto (about 5 s per run)",
        "slow": "slow motion (2 steps/s)",
        "steps10": "10 steps/s",
        "full": "full speed",
    },
    "start": "Start",
    "step": "Step",
    "stop": "Stop",
    "reset": "Reset",
    "suggest": "Use the suggested lr",
    "above_limit": "lr = {lr:g} is above this image's stability limit {limit:.3g}: this run will "
    "diverge. Press Start to watch it, or use the suggested lr {best:.3g}.",
    "start_help": "Runs in the background up to the number of epochs; starts over once finished.",
    "status": "Epoch **{n}** of {total} · loss **{loss:.4g}** · max |kernel − target| "
    "**{err:.3g}**",
    "idle": "Press **Start** to train, or **Step** for one gradient step.",
    "running": "running…",
    "book_vs": "The book's printout beside this run's (its init was random and unseeded)",
    "book": "The book printed",
    "ours": "This run printed",
    "book_row": "epoch {n}, loss",
    "book_kernel": "learned kernel",
    "done": "Finished: the learned kernel beside the target.",
    "initial": "Initial kernel (epoch 0)",
    "target_caption": "Target kernel",
    "now": "Kernel after epoch {n}",
    "paths": "Each kernel value over the epochs (dotted: its target)",
    "why": "Why the image needs edges in both directions",
    "reachable": "The best this image allows from a zero start (the target's visible part):",
    "thread_error": "The run stopped on an error: {error}",
    "ident": dict(IDENT_WORDS),
    "diverge": dict(DIVERGE_WORDS),
    "charts": dict(LABELS),
}
