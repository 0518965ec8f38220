"""Home: what cnnviz is and what each page teaches (page titles: the "nav" section)."""

TEXT = {
    "title": "cnnviz — convolutional networks you can touch",
    "lesson": "chapters 7–8",
    "intro": "An interactive companion to *Dive into Deep Learning*, chapters 7 (convolutions, "
    "LeNet) and 8 (VGG, ResNet). Every page runs the book's code on inputs you choose, "
    "reproduces the book's printed results, and says where cnnviz goes further than the "
    "book.",
    "why_conv": "Parameter counts of a dense layer against a conv layer for your image size; "
    "translation equivariance; one conv net taking inputs of any size.",
    "xcorr": "Edit a kernel, watch the output of `corr2d` on a drawn or loaded image, and step "
    "through one output cell: the window, the products, their sum.",
    "learn_kernel": "Gradient descent recovers K = [1, −1] from the stripes image, live; try "
    "Sobel, a learning rate that is too high, or your own drawing.",
    "padding": "Kernel, padding, stride and dilation per axis; the output-shape formula beside "
    "the shape torch returns; the padded input drawn.",
    "channels": "An RGB image split into channels, a kernel per channel, the sum; banks of "
    "kernels; 1×1 convolution as a matrix product.",
    "pooling": "Max and average pooling with every `nn.MaxPool2d` parameter, which pixel won, and "
    "pooling's tolerance to small shifts.",
    "builder": "LeNet, AlexNet, VGG, NiN, GoogLeNet, LeNet with batch norm, ResNet, ResNeXt "
    "and DenseNet from widgets: layer shapes, parameters, multiply-adds, a "
    "diagram, feature maps on your image, and PyTorch code to copy.",
    "batch_norm": "LeNet with batch norm trains live beside the same LeNet without it: one "
    "layer's batch statistics and running averages, training against prediction mode, and "
    "the book's `batch_norm` beside `nn.BatchNorm2d`.",
    "data": "The data every network here trains on: ten classes of 28×28 clothing images.",
    "training": "Train any preset or your own model on Fashion-MNIST in the background; curves "
    "stream live; every run is kept.",
    "insight": "Draw a sneaker and watch your own trained LeNet decide; confusion matrices, the "
    "most confident mistakes, and where the network looked (beyond the book).",
    "ablation": "The seed's experiments side by side: sigmoid vs ReLU, VGG at 224 vs 56, ResNet "
    "without batch norm or skip connections.",
}
