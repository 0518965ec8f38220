"""What the network learned (beyond the book): the page and ui/insight.py."""

from cnnviz.insight import DIFFERENCE_WORDS
from cnnviz.plots.insight import WORDS
from ui.locales.en.common import STATUS_PLAIN

TEXT = {
    "title": "What the network learned",
    "lesson": "beyond the book: questions to the networks of 7.6, 8.2 and 8.6",
    "intro": "d2l trains LeNet, VGG and ResNet and reports their accuracy. Here you question a "
    "trained network: draw a piece of clothing and watch it decide, see which classes it "
    "confuses on the test images, browse its most confident mistakes, and see where in "
    "an image it found the evidence for its answer. Put two runs side by side (the "
    "sigmoid and the ReLU LeNet of the ablation lab) and watch them disagree.",
    "run": "Run",
    "compare": "Compare with a second run",
    "run_b": "Second run",
    "no_runs": "No runs yet: train one on the **Training runs** page (LeNet on the full data set "
    "takes about a minute on a laptop), or start the LeNet pair in the **Ablation "
    "lab**, then come back here.",
    "only_one": "There is no other run to compare with yet.",
    "wait_live": "This page picks the run up as soon as it finishes.",
    "failed_note": "This run failed after epoch {e} ({error}); its weights are those of epoch {e}.",
    "stopped_note": "This run was stopped during epoch {e1}: its weights include part of that "
    "epoch, so its answers can differ a little from its curves.",
    "classify": "Classify an image",
    "source": "Image",
    "sources": {
        "Test image": "Test image",
        "Draw": "Draw",
        "Upload": "Upload",
    },
    "test_index": "Test image (0–9,999)",
    "test_alt": "Fashion-MNIST test image {i}: {label}",
    "upload_alt": "The uploaded image {name}",
    "test_caption": "Test image {i}: {a} **{label}**.",
    "brush": "Brush width",
    "draw_hint": "Draw a piece of clothing in white on the black square — a trouser, a sneaker, a "
    "bag, a T-shirt — big, like Fashion-MNIST's items. The answer follows every "
    "stroke; the bin icon below the square clears it.",
    "upload": "A photo or drawing (PNG or JPEG)",
    "upload_hint": "Upload a picture of one piece of clothing (a photo on a plain background "
    "works best).",
    "fit": "Frame like Fashion-MNIST",
    "fit_help": "Crop to the item and centre it on a square, as Fashion-MNIST's items are framed; "
    "off, the whole image is squeezed to the network's input.",
    "prepared": "What the network sees",
    "prepared_caption": "{n}×{n}, prepared as the training data was",
    "steps": "How it was prepared:",
    "says": "**{name}** says **{label}** ({p:.0%})",
    "right": " — right",
    "wrong": " — wrong: it is {a} **{label}**",
    "probs": "Class probabilities",
    "where": "Where it looked",
    "method": "Map",
    "methods": {
        "gradcam": "Grad-CAM",
        "gradient": "Input gradients",
    },
    "for_class": "For the class",
    "its_answer": "its answer",
    "empty_map": "The map is empty: no part of the last stage raises the score of **{label}** "
    "here.",
    "where_title": "{name}: {label}",
    "layer": "Grad-CAM explains the last convolutional stage, `{layer}` ({kind}: {c} channels of "
    "{h}×{w}), upsampled to the input.",
    "beyond": "What the map means (beyond the book)",
    "beyond_body": "d2l does not explain single decisions; this goes beyond the book.\n\n- "
    "**Grad-CAM** (Selvaraju et al., 2017) takes the last convolutional stage, "
    "weighs each of its channels by how much it raises the chosen class's score "
    "(the mean gradient), adds them up and keeps the positive part. It shows "
    "*where* the channels that speak for the class fired. It is coarse: LeNet's "
    "last stage is 10×10, ResNet-18's 3×3 at 96×96, so the map is blurred up to "
    "the image.\n- **Input gradients** show which pixels would change the class's "
    "score most if they changed a little. They are sharp but noisy, and they say "
    "what the score is *sensitive* to, not what the network *found*.\n\nWhat a map "
    "does not mean: that the network sees a sleeve or a sole the way we do, that "
    "the other pixels do not matter, or that it marks the object's outline. Maps "
    "can look plausible even for a network with random weights (Adebayo et al., "
    "2018, *Sanity checks for saliency maps*): compare with a run that learned "
    "little.",
    "confusion": "Confusion matrix and per-class accuracy",
    "confusion_intro": "Each row is a true class, each column the class the network answered: the "
    "diagonal is right, everything else a confusion. Colours show where each "
    "class's images went (the share of the row); the numbers are images.",
    "evaluate": "Evaluate {name} on its {n:,} test images (about {t})",
    "evaluating": "Evaluating **{name}** on {n:,} test images… ({s:.0f} s)",
    "eval_damaged": "The stored evaluation of {name} was damaged and is not used ({error}); "
    "it is computed again from the weights.",
    "eval_failed": "Evaluating {name} failed: {error}",
    "eval_again": "Evaluate {name} again",
    "eval_caption": "**{name}**: {n:,} test images (those it was validated on), accuracy "
    "**{acc:.1%}** — its final validation accuracy was {stored:.1%}.",
    "eval_caption_alone": "**{name}**: {n:,} test images (those it was validated on), "
    "accuracy **{acc:.1%}**.",
    "eval_differs": " (the difference: weights saved after part of an unfinished epoch)",
    "per_class": "Per-class accuracy",
    "difference": "{b} against {a}, cell by cell",
    "difference_caption": "On the first {n:,} test images, which both runs were validated on. "
    "Blue: {b} does better (more right on the diagonal, fewer confusions "
    "off it); red: worse. The numbers are {b} − {a} in images.",
    "mistakes": "Its worst mistakes",
    "mistakes_intro": "The test images the network got wrong with the most confidence. **Open** "
    "one to see it in the classifier above, with its probabilities and where "
    "the network looked.",
    "whose": "Mistakes of",
    "true": "True class",
    "pred": "Taken for",
    "any": "any class",
    "count": "How many",
    "none": "No such mistakes among its {n:,} test images.",
    "open": "Open",
    "opened": "Test image {i} is open in the classifier above.",
    "need_eval": "The gallery appears when the evaluation above is done.",
    "label": "{name} · {status}{acc} · {created} · {run_id}",
    "label_acc": " · val acc {acc:.1%}",
    "note": "{name}: {note}.",
    "status_plain": STATUS_PLAIN,
    "charts": {k: v for k, v in WORDS.items() if k != "classes"},
    "difference_words": dict(DIFFERENCE_WORDS),
}
