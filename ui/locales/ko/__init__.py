"""The Korean catalog (한국어): the English catalog's sections and keys, one module per page."""

from ui.locales.ko import (
    ablation,
    builder,
    channels,
    common,
    data,
    errors,
    home,
    identity,
    images,
    insight,
    kernels,
    learn_kernel,
    nav,
    time,
    training,
    why_conv,
)

CATALOG = {
    "nav": nav.TEXT,
    "common": common.TEXT,
    "home": home.TEXT,
    "data": data.TEXT,
    "time": time.TEXT,
    "training": training.TEXT,
    "errors": errors.TEXT,
    "images": images.TEXT,
    "kernels": kernels.TEXT,
    "why_conv": why_conv.TEXT,
    "channels": channels.TEXT,
    "learn_kernel": learn_kernel.TEXT,
    "builder": builder.TEXT,
    "identity": identity.TEXT,
    "insight": insight.TEXT,
    "ablation": ablation.TEXT,
}
