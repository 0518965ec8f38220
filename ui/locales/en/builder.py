"""Architecture builder (d2l 7.6, 8.1-8.7): the page and ui/builder.py."""

from cnnviz.plots.models import DIAGRAM_WORDS

TEXT = {
    "title": "Architecture builder",
    "lesson": "7.6, 8.1–8.7",
    "intro": "LeNet and the networks of chapter 8 (AlexNet, VGG, NiN, GoogLeNet, LeNet with "
    "batch norm, ResNet and ResNeXt, DenseNet) are stacks of the same few layers, some of them "
    "side by side. Pick one of the book's networks, change any field, and watch the output "
    "shape of every layer, the number of parameters and the multiply-adds change. The table is "
    "d2l's `layer_summary`; cnnviz adds parameters, multiply-adds, the diagram and the "
    "exported code.",
    "form": "1. The network",
    "shapes": "2. Shapes, parameters, multiply-adds",
    "params": "parameters",
    "macs": "multiply-adds per image",
    "out": "output shape",
    "detailed": "every layer (inside the blocks too)",
    "columns": {
        "name": "name",
        "layer": "layer",
        "output shape": "output shape",
        "parameters": "parameters",
        "multiply-adds": "multiply-adds",
    },
    "code": "3. The PyTorch code",
    "code_help": "The same network, d2l style: same layers, same state_dict keys as cnnviz's.",
    "download": "Download builder_model.py",
    "maps": "4. Feature maps: what each layer computes on an image",
    "maps_toggle": "Compute feature maps",
    "maps_help": "Runs one image through the network (VGG-11 at 224×224 takes a second on CPU).",
    "weights": "Weights",
    "untrained": "untrained (Xavier init, seed 0)",
    "no_runs": "No finished training run of exactly this network yet — train one:",
    "train_link": "Training runs",
    "max_channels": "channels shown per layer",
    "input_alt": "The input as the network receives it, {shape}",
    "input": "The input, resized to {shape}",
    "prediction": "Prediction: **{label}** ({p:.0%}) — {note}.",
    "class_n": "class {n}",
    "fmap_channels": " — first {k} of {n} channels",
    "running_image": "Running the image through the network…",
    "note_untrained": "untrained (d2l's Xavier init, seed 0)",
    "note_missing": "the run's checkpoint is missing: showing the untrained network",
    "note_damaged": "the run's checkpoint cannot be read (damaged on disk, or not a safetensors "
    "file): showing the untrained network; retrain the run to get its weights back",
    "note_trained": "trained weights of run {run_id}",
    "run_label": "{name} ({n} epochs{acc})",
    "run_acc": ", val acc {acc:.1%}",
    "family": "Family",
    "preset": "Start from",
    "invalid": "This spec cannot be built — {error}",
    "kept": "Still showing the last valid model ({name}).",
    "custom": "custom {family}, input {n}×{n}",
    "store_error": "Trained runs could not be listed ({error}); only the untrained net is offered.",
    "f_in_channels": "in_channels",
    "f_in_channels_help": "1 = grey, 3 = colour",
    "f_num_classes": "num_classes",
    "f_input_size": "input_size",
    "f_input_size_help": "height = width",
    "diagram": dict(DIAGRAM_WORDS, kinds=dict(DIAGRAM_WORDS["kinds"])),
}
