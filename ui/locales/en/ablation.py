"""Ablation lab (d2l 7.6, 8.2, 8.6 and the seed's exercises): the page and ui/ablation.py."""

from cnnviz import ablation as A
from cnnviz.plots import ablation as P
from ui.locales.en.common import STATUS_PLAIN

TEXT = {
    "title": "Ablation lab",
    "lesson": "7.6 LeNet · 8.2 VGG · 8.6 ResNet — and the seed's exercises",
    "intro": "An **ablation** removes or changes one ingredient and keeps everything else. Each "
    "group below is one of the seed's experiments: its variants are trained as **paired "
    "runs** — same seed, same initialisation where the layers match, same data order, "
    "same epochs, batch size and subset — so the curves differ only because of the "
    "ablated part. cnnviz goes beyond the book here: the book trains one model at a "
    "time; this page runs the whole comparison with one click.",
    "controls": "Choose and launch a comparison",
    "source": "Compare",
    "sources": {
        "builtin": "A built-in experiment",
        "grid": "A grid over one field",
        "store": "Runs from the store",
    },
    "group": "Experiment",
    "mode": "Size",
    "modes": {
        "quick": "Quick look (seconds)",
        "classroom": "CPU classroom (minutes, default here)",
        "full": "Full size (the book's; for a GPU)",
    },
    "gpu_modes": {
        "quick": "Quick look",
        "classroom": "CPU classroom",
        "full": "Full size (the book's, default on a GPU)",
    },
    "seed": "Seed (shared by every variant)",
    "launch": "Run all {n} variants",
    "launch_seeds": "Run all {n} variants × {k} seeds ({runs} runs)",
    "seeds": "Seeds (runs per variant)",
    "seeds_help": "Repeat every variant with the seeds s, s + 1, …: seed s of every variant "
    "shares s's data order and, where the layers match, s's initial weights. The runs go seed "
    "by seed (the first seed of every variant first). With 3 seeds or more the page says "
    "whether a difference is bigger than seed noise.",
    "estimate": "{label}. The whole group should take {t} on this {device}, its {runs} runs one "
    "after another ({basis}).",
    "full_on_cpu": "Full size means the book's settings (all 60,000 images, 10 epochs, full input "
    "sizes): estimated **{t}** on this CPU. Run it where a GPU is present; in a "
    "CPU classroom use the CPU classroom size.",
    "question": "**Question.** {q}",
    "finding": "**What the seed found (full size, GPU).** {f}",
    "grid_base": "Model (preset)",
    "grid_field": "Field to vary",
    "grid_values": "Values (the first is the baseline)",
    "store_runs": "Runs",
    "store_group": "Or a whole group launched earlier",
    "store_empty": "No runs stored yet: launch an experiment first (or train on the Training "
    "page).",
    "compare": "Compare the selected runs",
    "empty": "Choose an experiment above and press **Run**: the curves appear here while the "
    "variants train, one after another.",
    "empty_store": "Choose runs above and press **Compare the selected runs**: their curves "
    "appear here side by side.",
    "missing": "Runs from the link that are not in this run store: {ids}.",
    "stop": "Stop the live runs",
    "status_line": "{name}: {status}",
    "progress": "epoch {e}/{n} · batch {b}/{nb}",
    "headline": "Validation accuracy, every variant (one colour each, the same on every chart)",
    "multiples": "Train and validation loss and accuracy",
    "table": "Final metrics — the best value of each column is highlighted",
    "table_seeds": "Final metrics — mean ± sd over the seeds of each variant (accuracies in %; "
    "the best mean of each column is highlighted)",
    "band": "Band around each mean",
    "bands": {"sd": "±1 sd", "range": "min–max"},
    "show_runs": "Show each seed's run",
    "show_runs_help": "Each seed's own curve, faintly, behind its variant's mean.",
    "seeds_status": "{done}/{k} seeds finished",
    "seed_progress": "seed {seed}: epoch {e}/{n} · batch {b}/{nb}",
    "noise": "Is the difference bigger than seed noise?",
    "pair_columns": {
        "a": "A",
        "b": "B",
        "seeds": "seeds",
        "b − a": "B − A (points)",
        "95% CI": "95% interval (points)",
    },
    "verdict": {
        "far": "{winner} beats {loser} by {d} ± {h} points ({n} seeds): far beyond seed noise",
        "beyond": "{winner} beats {loser} by {d} ± {h} points ({n} seeds): beyond seed noise, "
        "though not by much",
        "none": "{a} vs {b}: no difference beyond seed noise ({d} ± {h} points, {n} seeds)",
    },
    "one_seed": "One seed per variant, so no interval: a single run per variant cannot tell a "
    "real difference from the luck of one seed (another seed may swap the order). Set "
    "**Seeds** to 3 or more to get a verdict.",
    "two_seeds": "With 2 seeds the interval is shown, but it is very wide (the t value for one "
    "degree of freedom is 12.7); a verdict needs at least 3 seeds.",
    "pairs_wait": "The comparison appears when the same seed has finished in both variants of a "
    "pair.",
    "method": "**Method.** Final validation accuracy, B minus A, seed by seed (seed s of A "
    "against seed s of B: same data order and initial weights). The mean of these "
    "differences ± the half-width of a 95% paired t interval (mean ± t · sd / √n, "
    "n − 1 degrees of freedom). *Beyond seed noise*: the interval leaves out 0; *far "
    "beyond*: the difference is more than twice the half-width.",
    "not_claimed": "**What it does not claim.** The seeds vary only the initial weights, the "
    "data order and dropout: the verdict says nothing about other data, sizes, "
    "epochs or learning rates. It assumes the per-seed differences scatter like "
    "independent, roughly normal draws, and it does not correct for comparing "
    "several pairs at once (one in twenty 95% intervals misses by chance).",
    "csv_bands": "Mean and spread (CSV)",
    "confusion_seeds": "Each variant's matrix is the average over its finished seeds ({n}): every "
    "cell the mean count, rounded so each row keeps its number of images.",
    "differences": "Differences against the baseline ({base})",
    "csv": "Metrics (CSV)",
    "png_hint": "Save any chart as a PNG with the camera icon in its toolbar.",
    "share": "Share this comparison: this address restores it (group, size and runs).",
    "learned": "What each variant learned",
    "learned_wait": "Kernels and feature maps appear for each variant once it has finished an "
    "epoch.",
    "kernels": "First-layer kernels (red positive, blue negative, each scaled to its own max)",
    "maps": "First-layer feature maps of the same test image (after the activation)",
    "sample": "Test image",
    "scrub": "After epoch",
    "scrub_help": "Scrub through training: every variant's first layer as it was after this epoch "
    "(0: the shared initialisation, the same for paired variants).",
    "failed": "{name} failed: {error}",
    "confusion": "Which classes each variant confuses",
    "confusion_intro": "Each variant's confusion matrix on its validation images, kept when it "
    "finished (rows: the true class; colour: where that class's images went; "
    "numbers: images). cnnviz goes beyond the book here: d2l reports only the "
    "accuracy.",
    "confusion_wait": "The matrices appear here when the variants have finished.",
    "confusion_damaged": "The stored matrix of {name} was damaged and is not shown ({error}); "
    "open it on [What the network learned](/insight?run={run_id}), which computes it again.",
    "confusion_missing": "{name} has no stored matrix (a run from an older cnnviz, or imported): "
    "open it on [What the network learned](/insight?run={run_id}), which "
    "computes it once.",
    "per_class": "Per-class accuracy, every variant",
    "difference": "Against the baseline",
    "difference_pick": "Compare {base} with",
    "difference_caption": "Blue: {other} does better than {base} (more right answers on the "
    "diagonal, fewer confusions off it); red: worse.",
    "sample_help": "Index into the 10,000 Fashion-MNIST test images.",
    "sample_caption": "Test image {i}: {label}",
    "epochs_caption": "{line} · {done}/{n} epochs",
    "status_plain": STATUS_PLAIN,
    "store_label": "{name} · {status} · {created} · {run_id}",
    "groups": {
        key: {"title": g.title, "question": g.question, "finding": g.finding}
        for key, g in A.GROUPS.items()
    },
    "settings": {
        key: {
            mode: {"label": s.label, "note": s.note, "measured": s.measured}
            for mode, s in ((m, g.setting(m)) for m in A.MODES)
        }
        for key, g in A.GROUPS.items()
    },
    "grid_title": "{name}: {field} ∈ {{{values}}}",
    "grid_question": "What does changing {field} alone do to {name}?",
    "columns": {
        "variant": "variant",
        "epochs": "epochs",
        "best val acc": "best val acc",
        "final val acc": "final val acc",
        "final train loss": "final train loss",
        "final val loss": "final val loss",
        "epoch to 85%": "epoch to 85%",
        "seeds": "seeds",
        "time (s)": "time (s)",
        "parameters": "parameters",
    },
    "summary": dict(A.SUMMARY_WORDS),
    "charts": dict(P.LABELS),
}
