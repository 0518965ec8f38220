"""Fashion-MNIST: the data set every network in cnnviz trains on."""

TEXT = {
    "title": "Fashion-MNIST",
    "lesson": "4.2, used in 7.6, 8.2, 8.6",
    "intro": "Sixty thousand training and ten thousand test images of clothing, 28×28 grey "
    "pixels, ten classes. d2l trains LeNet, VGG and ResNet on it; so does cnnviz, on the "
    "real files.",
    "per_class": "Samples per class",
    "split": "Split",
    "splits": {
        "train": "train",
        "test": "test",
    },
    "train_images": "Training images",
    "test_images": "Test images",
    "per_class_count": "Images per class",
    "read_from": "Read from `{source}`.",
}
