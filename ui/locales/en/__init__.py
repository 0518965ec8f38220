"""The English catalog: one module per page (or shared part), each a ``TEXT`` dict."""

from ui.locales.en import (
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
