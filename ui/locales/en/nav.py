"""The router's section and page titles (app.py), also used by the Home page."""

TEXT = {
    "app_title": "cnnviz — d2l chapters 7–8",
    "sec_conv": "Convolutions",
    "sec_arch": "Architectures",
    "sec_train": "Training",
    "home": "Home",
    "classroom": "Class",
    "why_conv": "Why convolutions (7.1)",
    "xcorr": "Cross-correlation (7.2)",
    "learn_kernel": "Learn a kernel (7.2)",
    "padding": "Padding and stride (7.3)",
    "channels": "Channels (7.4)",
    "pooling": "Pooling (7.5)",
    "batch_norm": "Batch normalization (8.5)",
    "builder": "Architecture builder (7.6, 8.1–8.7)",
    "data": "Fashion-MNIST data",
    "training": "Training runs",
    "insight": "What the network learned",
    "ablation": "Ablation lab",
    "board": "Class board",
}
