"""Training runs: the run form, the live run, the runs table, imports, the first layer."""

from ui.locales.en.common import STATUS_PLAIN

TEXT = {
    "title": "Training runs",
    "lesson": "6.6 (train_ch6), used in 7.6, 8.2, 8.6",
    "intro": "Choose a network, press **Start training** and watch d2l's training loop at work: "
    "every epoch adds a point to the loss and accuracy curves (the faint line is the "
    "running training loss within an epoch). The run trains in the background: switch "
    "pages, reload, or come back later — it is kept, with its curves and weights, in the "
    "run store.",
    "source": "Model",
    "source_preset": "A preset",
    "source_builder": "The builder's current model",
    "no_builder": "Design a model on the Architecture builder page first; until then, pick a "
    "preset.",
    "preset": "Preset",
    "epochs": "Epochs (num_epochs)",
    "lr": "Learning rate (lr)",
    "lr_help": "Empty: d2l's lr for this model ({lr}).",
    "batch": "Batch size",
    "subset": "Training examples",
    "subset_help": "Auto: the most examples (up to all 60,000) that keep an epoch near a minute "
    "on this device (now: {n:,}).",
    "subset_auto": "Auto",
    "device": "Device",
    "start": "Start training",
    "stop": "Stop",
    "estimate": "This run should take **{total}** on this {dev} ({span}): {e} epoch(s) of {n:,} "
    "training and {v:,} validation examples, {basis}.",
    "estimate_one": "This run should take **{total}** on this {dev}: {e} epoch(s) of {n:,} "
    "training and {v:,} validation examples, {basis}.",
    "left": "About **{left}** left ({span}), {basis}.",
    "left_one": "About **{left}** left, {basis}.",
    "starts_in": "It should start in {t}.",
    "slow_start": "The book's LeNet uses sigmoid activations: with d2l's lr 0.1 its loss stays "
    "near 2.30 and its accuracy near chance (10%) for its first few hundred "
    "batches, and then falls. This run has only {k:,} batches, so its curve may "
    "look flat. The seed saw ReLU do better: “with ReLU the loss falls sharply from "
    "the start and the accuracy rises fast” (vanishing gradients). Train on more "
    "examples or epochs, or try it:",
    "use_relu": "Use LeNet-ReLU",
    "estimate_slow": "That is long for a class: choose fewer training examples, or a GPU.",
    "sources": {
        "preset": "A preset",
        "builder": "The builder's current model",
    },
    "practical": "What is practical on this machine",
    "practical_body": "cnnviz keeps Fashion-MNIST as one tensor and slices batches from it, so "
    "small networks train fast even on a laptop CPU:\n\n| model | input | one "
    "full epoch (60,000 images) on a 2-core CPU | on a GPU |\n"
    "|---|---|---|---|\n| LeNet | 28×28 | a few seconds | about a second |\n| "
    "VGG-small-56 | 56×56 | about 2 minutes | a few seconds |\n| ResNet-18 | "
    "96×96 | about 12 minutes | about 5 seconds |\n| VGG-11 | 224×224 | hours | "
    "about a minute |\n\nOn a CPU, train the bigger networks on a subset (the "
    "*Auto* size keeps an epoch near a minute): the curves show the same "
    "shapes, with lower accuracy. The book trains each model for 10 epochs on "
    "all 60,000 images with SGD and batch size 128; those are the defaults here.",
    "threads": {
        "one_core": "**Threads here:** a run trains on **1** thread. This machine gives cnnviz "
        "one core, so the run and the web server share it, and pages answer more slowly while "
        "a run trains.",
        "two_cores": "**Threads here:** a run trains on **{threads}** thread, on one of this "
        "machine's {cores} cores; the web server keeps the other. Measured on a 2-core "
        "machine: on both cores a run trained faster (LeNet +60–75%), but the pages answered "
        "about a third more slowly while it trained and a watched run kept less of its speed "
        "(66% instead of 72% of an unwatched one, on a busy machine). In a class the pages "
        "come first; `CNNVIZ_THREADS=2` gives a run both cores when nobody watches.",
        "spare": "**Threads here:** a run trains on **{threads}** threads. This machine gives "
        "cnnviz {cores} cores: one stays with the web server, so pages stay quick, and the "
        "others train, shared by the runs that train at once (up to {workers}).",
        "set": "**Threads here:** a run trains on **{threads}** threads, as `CNNVIZ_THREADS` "
        "sets (this machine gives cnnviz {cores} cores).",
        "here": "**Threads here:** runs train inside the web server's own process (the thread "
        "executor), on its **{threads}** threads.",
        "cluster": "**Threads here:** runs train on the Ray cluster, each on the **{threads}** "
        "CPUs it asks the cluster for.",
    },
    "no_data": "Training needs Fashion-MNIST; see the Fashion-MNIST data page.",
    "run_title": "Run",
    "no_runs": "No runs yet: choose a model above and press **Start training**.",
    "your_runs": "Your runs first, then the runs pinned for the class.",
    "queued": "Queued: number {pos} in line; it starts when the runs ahead of it end.",
    "queued_unknown": "Queued: it starts when a worker is free.",
    "not_yours": "This run belongs to {owner}: you can watch it, but only its owner or the "
    "teacher can stop or delete it.",
    "hidden": "Run {run_id} belongs to another student, and the teacher has turned off opening "
    "other students' runs by link.",
    "delete": "Delete this run",
    "delete_confirm": "Delete **{name}**, its metrics and its weights? This cannot be undone.",
    "delete_yes": "Yes, delete it",
    "deleted": "Deleted run {name}.",
    "pin": "Pin for the class",
    "pin_help": "Pinned runs are listed for every student, and never lose their weights to the "
    "retention rule or a quota.",
    "owner_you": "you",
    "owner_pinned": "pinned",
    "owner_class": "the class",
    "status": {
        "queued": ":material/schedule: queued",
        "running": ":material/play_circle: running",
        "finished": ":material/check_circle: finished",
        "stopped": ":material/stop_circle: stopped",
        "failed": ":material/error: failed",
        "interrupted": ":material/warning: interrupted",
    },
    "progress": "Epoch {e} of {n} · batch {b} of {nb} · running loss {loss:.3f}",
    "progress_epochs": "Epochs done: {d} of {n}",
    "all_runs": "All runs",
    "show": "Show run",
    "csv": "Metrics (CSV)",
    "ckpt": "Weights (.safetensors)",
    "store": "Runs are kept in `{root}` (set CNNVIZ_HOME to move them).",
    "import": "Import a run",
    "import_body": "Every run's **Weights (.safetensors)** file also carries the run itself: its "
    "settings and every epoch's metrics. Upload one here to bring the run into "
    "this store — for example one trained on a GPU machine with `python -m cnnviz "
    "train` (its file is in that store's `checkpoints` folder). Up to {mb} MB here "
    "(LeNet, ResNet-18, the adjusted VGG); larger files (VGG-small, VGG-11) on the "
    "machine that serves this page: `python -m cnnviz import FILE`.",
    "import_file": "A cnnviz weights file",
    "importing": "Checking and importing {name}…",
    "import_added": "Imported **{name}** ({e} of {n} epochs, {status}); it is shown above.",
    "import_known": "**{name}** is already in this store; it is shown above.",
    "learned": "What the first layer learned, epoch by epoch",
    "learned_intro": "The first convolution's kernels (red positive, blue negative) and its "
    "feature maps for one test image, after the activation, kept after every "
    "epoch: drag the slider to scrub through training. Epoch 0 is the Xavier "
    "initialisation. cnnviz goes further than the book here: d2l does not show "
    "what LeNet, VGG or ResNet learn.",
    "learned_soon": "The first layer appears here as soon as the run starts.",
    "learned_none": "This run has no epoch snapshots (it was trained before cnnviz kept them).",
    "scrub": "After epoch",
    "sample": "Test image",
    "sample_help": "Index into the 10,000 Fashion-MNIST test images.",
    "kernels": "First-layer kernels",
    "maps": "First-layer feature maps of test image {i} ({label})",
    "status_plain": STATUS_PLAIN,
    "m_val_acc": "val acc",
    "m_train_acc": "train acc",
    "m_train_loss": "train loss",
    "m_examples": "examples/s",
    "chart_loss": "loss",
    "chart_acc": "accuracy",
    "chart_epoch": "epoch",
    "student": "student {uid}",
    "pinned_suffix": " · pinned",
    "columns": {
        "name": "name",
        "owner": "owner",
        "status": "status",
        "epochs_done": "epochs",
        "num_epochs": "of",
        "final_val_acc": "val acc",
        "best_val_acc": "best val acc",
        "examples_per_s": "examples/s",
        "seconds": "seconds",
        "size_mb": "MB on disk",
        "device": "device",
        "created": "created",
        "run_id": "run_id",
    },
    "epoch0": "epoch 0 (init)",
    "after_epoch": "after epoch {epoch}",
    "import_failed": "{name} could not be imported ({error}).",
    "curves": {
        "running": "train loss (running)",
        "train_loss": "train loss",
        "val_loss": "val loss",
        "train_acc": "train acc",
        "val_acc": "val acc",
    },
}
