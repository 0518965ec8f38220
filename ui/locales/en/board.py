"""The class board (a class experiment, built for the projector): app_pages/board.py and
ui/board.py, and the set-up box in the ablation lab."""

from cnnviz import class_experiment as X
from ui.locales.en.common import STATUS_PLAIN

TEXT = {
    "title": "Class board",
    "lesson": "7.6 LeNet · 8.1–8.7 — the whole class runs one ablation",
    "intro": "The class runs **one experiment together**: the teacher picks a base setup and "
    "**one field to vary**; every student trains one run with their value, and this board "
    "gathers what the class found — every seat's curve live, then the mean and spread of "
    "each value, the final accuracies and a sentence that says what trained best. cnnviz "
    "goes beyond the book here: the book trains one model at a time.",
    "no_class": "No class is open: the teacher opens one on the **Class** page, then sets up an "
    "experiment here or in the ablation lab.",
    "no_experiment": "No class experiment yet: the teacher sets one up (below, or in the ablation "
    "lab's **Class experiment** box).",
    "no_experiment_student": "No class experiment yet: the teacher will set one up.",
    "setup": "Class experiment",
    "setup_intro": "Turn a base setup into an experiment the whole class runs: each seat trains "
    "one run, with one value of the field you vary.",
    "preset": "Base setup (preset)",
    "field": "Field to vary",
    "fields": {
        "lr": "learning rate (lr)",
        "activation": "activation",
        X.VARIANT: "variant of the network",
        "batch_norm": "batch norm on or off",
        "batch_size": "batch size",
        "seed": "seed",
    },
    "values": "Values",
    "values_text": "Values, separated by commas",
    "handout": "How values are handed out",
    "handouts": {X.ROUND_ROBIN: "Round-robin over the seats", X.PICK: "Each student picks one"},
    "size": "Size",
    "sizes": {
        "quick": "Quick look (seconds)",
        "classroom": "CPU classroom (minutes)",
        "full": "Full size (the book's)",
    },
    "allow_full": "Allow full-size runs (a GPU or a Ray cluster is here)",
    "seed": "Base seed",
    "seed_help": "The n-th seat of every value trains with seed base + n: the values are paired "
    "by seed, as in the ablation lab.",
    "create": "Set up the class experiment",
    "next": "Set up another experiment",
    "created": "The class experiment is set up: students see their value on the Class board.",
    "current": "**Experiment:** {title} · {size} · values {handout}",
    "handout_short": {X.ROUND_ROBIN: "handed out round-robin", X.PICK: "picked by each student"},
    "ended": "The teacher has ended the experiment: the board shows each value's mean and band.",
    # the student's part
    "join_first": "Join the class on the **Class** page to take part in the experiment.",
    "yours": "**Your value:** {value}",
    "pick": "Pick your value",
    "start": "Start my run",
    "your_run": "Your run ({value}): {status}, epoch {done} of {n}.",
    "started": "Your run is queued: its curve appears on the board when it trains.",
    # the teacher's controls
    "controls": "Teacher's controls",
    "hand_out": "Hand values to every seat now",
    "handed": "Values handed to {n} seats.",
    "end": "End the experiment (show means and bands)",
    "spotlight": "On the projector",
    "spot_board": "The class board",
    "spot_none": "Nothing (the projector view's own page)",
    "spot_run": "{name}'s run",
    "spotlight_run": "**On the projector: {name}'s run** ({value}, {status})",
    "csv": "Results as CSV",
    # the board
    "progress": "{started} of {seats} seats started · {running} training · {done} finished",
    "curves_live": "Every seat's training loss, live",
    "curves_final": "Each value's mean and band over its runs",
    "scatter": "Value against final validation accuracy",
    "table": "Seats, values and results",
    "table_empty": "No seat has a value yet: once the values are handed out, each seat's value "
    "and result appear here.",
    "conclusion": "What the class found",
    "unreadable": "The class experiment cannot be read right now ({error}). Reload the page in a "
    "moment; if it stays, the teacher sets up a new one.",
    "waiting": "The curves appear here once a run has trained for a moment.",
    "status_plain": {**STATUS_PLAIN, "": "not started"},
    "columns": {
        "seat": "seat",
        "value": "value",
        "status": "status",
        "epochs": "epochs",
        "final val acc": "final val acc",
        "best val acc": "best val acc",
        "final train loss": "final train loss",
        "diverged": "diverged",
        "seed": "seed",
        "run_id": "run",
    },
    "words": dict(X.CONCLUSION_WORDS),
    "charts": {
        "epoch": "epoch",
        "train_loss": "training loss",
        "val_acc": "validation accuracy",
        "value": "value",
        "diverged": "diverged",
        "seat": "seat",
    },
}
