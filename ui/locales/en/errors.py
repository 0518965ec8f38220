"""The library's messages by key (cnnviz.errors.KeyedError, KeyedText): the English text the
library itself writes (pages show ``str(exc)`` in English), kept here so every key has a
Korean counterpart and the placeholders can be checked."""

TEXT = {
    "image.no_pixels": "“{name}” has no pixels ({w}×{h}).",
    "image.aspect": "“{name}” is {w}×{h} pixels, {ratio} times longer one way than the other; "
    "images up to {most}:1 are accepted. Please crop it.",
    "image.png_pixels": "“{name}” is {w}×{h} pixels; PNGs over {most} megapixels are not decoded. "
    "Please upload a smaller image.",
    "image.memory_png": "“{name}” is a {mode} PNG of {w}×{h} pixels: decoding it would take {mb} "
    "MB (at most {most} MB). Please upload a smaller image (or, for a photo, "
    "a baseline JPEG).",
    "image.memory_jpeg": "“{name}” is a progressive JPEG of {w}×{h} pixels: decoding it would "
    "take {mb} MB (at most {most} MB). Please upload a smaller image (or, "
    "for a photo, a baseline JPEG).",
    "image.empty": "“{name}” is empty.",
    "image.upload_size": "“{name}” is {mb} MB; uploads are limited to {most} MB.",
    "image.format": "“{name}” is a {format} file; please upload a PNG or JPEG.",
    "image.bomb": "“{name}” is too large to decode safely ({detail}).",
    "image.unreadable": "“{name}” is not an image cnnviz can read (PNG or JPEG).",
    "image.no_memory": "“{name}” is too large to decode here.",
    "image.damaged": "“{name}” looks damaged and could not be decoded ({detail}).",
    "note.exif_damaged": "its EXIF data is damaged: its orientation was ignored",
    "note.mpo": "a phone's multi-picture JPEG (MPO, {n} pictures): the first is used",
    "note.animated": "animated image with {n} frames: the first is used",
    "note.16bit": "16-bit image: scaled to 0..1",
    "note.alpha": "transparent areas were put on a white background",
    "note.upright": "turned upright (its EXIF orientation is {n})",
    "note.downscaled": "downscaled from {w}×{h} to fit {side}×{side}",
    "limit.user_queue": "You have {n} run(s) waiting; a student may queue at most {most} at a "
    "time. Stop one, or wait for them to start.",
    "limit.address_queue": "The students at your network address have {n} run(s) waiting; "
    "together they may queue at most {most}. Wait for some to start.",
    "limit.class_queue": "The class queue is full ({n} runs waiting, at most {most}). Try again "
    "when some have started.",
    "limit.too_long": "This run would take about {min} min on this {device} (students may start "
    "runs of up to {most} min). Choose fewer training examples or epochs, or a "
    "smaller input; the teacher can launch full-size runs.",
    "store.busy": "The run store is busy: another program has held it for over {s} s. Nothing "
    "was changed; try again in a moment.",
    "store.failed": "The run store could not be used ({detail}). Nothing was changed; free "
    "some disk space or check its folder, then try again.",
    "checkpoint.unreadable": "The checkpoint {file} cannot be read ({detail}). It may be "
    "damaged or not a safetensors file; retrain the run to get it back.",
    "snapshots.unreadable": "The epoch snapshots {file} cannot be read ({detail}).",
    "kernel.too_big": "Kernels up to {side}×{side} can be learned here.",
    "kernel.not_finite": "The kernel contains a NaN or an infinite value.",
    "kernel.too_long": "That is {n:,} characters; a kernel of up to {side}×{side} numbers fits in "
    "{most:,}.",
    "kernel.empty": "Type at least one row of numbers.",
    "kernel.not_numbers": "Only numbers can go in a kernel ({detail}).",
    "kernel.ragged": "Every kernel row needs the same number of values.",
    "kernel.image_small": "The image ({H}×{W}) is smaller than the kernel ({kh}×{kw}).",
    "spec.whole": "{name} must be a whole number, got {value}.",
    "spec.range": "{name} must be between {low} and {high}, got {value}.",
    "spec.arch_empty": "{name} is empty: add at least one ({what}, channels) row.",
    "spec.arch_long": "{name} has {n} rows; at most {most} are allowed.",
    "spec.arch_row": "{name} row {i} must be ({what}, channels), got {row}.",
    "spec.shrink": "{stage} (window {k}×{k}, padding {p}, stride {s}) gets a {c}×{n}×{n} map and "
    "would shrink it to {m}×{m} at input size {size}×{size}: use a larger input "
    "size or {hint}.",
    "spec.parameters": "this network would have {millions}M parameters (limit {most}M): reduce "
    "the widths or the input size.",
    "spec.map": "{where} would make a {c}×{h}×{w} feature map: {millions}M values ({gb} GB) for "
    "one image, over the limit of {most}M: use fewer channels or a smaller input size.",
    "spec.fraction": "{name} must be at least 0 and below {high}, got {value}.",
    "spec.choice": "{name} must be one of {choices}, got {value}.",
    "spec.bool": "{name} must be True or False, got {value}.",
    "spec.tuple": "{name} must be {count} {what}, got {value}.",
    "spec.rows_empty": "{name} is empty: add at least one row.",
    "spec.rows_row": "{name} row {i} must be ({what}), got {row}.",
    "spec.unbuildable": "this network cannot be built: {error}",
    "field.row": "{name} row {i}: {what}",
    "field.row_channels": "{name} row {i}: channels",
    "field.channels": "{layer} channels",
    "field.width": "{layer} width",
    "stage.vgg_pool": "VGG block {i}'s max-pool",
    "stage.vgg_convs": "VGG block {i}'s convolutions",
    "stage.stem": "the stem's convolution",
    "stage.resnet": "ResNet stage {i}",
    "hint.stages": "fewer stages",
    "hint.lenet": "a smaller kernel_size or more padding",
    "hint.vgg": "fewer blocks (each halves the map)",
    "insight.too_small": "The image is {shape}: too small to classify.",
    "insight.not_finite": "The image has missing (NaN or infinite) pixels.",
    "insight.blank": "The image is blank: every pixel is {value:.2f}. Draw, upload or pick an "
    "item of clothing first.",
    "insight.mismatch": "The weights do not belong to the network this run describes ({detail}).",
    "insight.queued": "“{name}” is waiting to train: come back when it has finished.",
    "insight.running": "“{name}” is still training ({done} of {n} epochs done): its network can "
    "be questioned once it has finished or been stopped.",
    "insight.no_epoch": "“{name}” {why}{detail}: it has no stored weights yet. Train it for at "
    "least one epoch, or pick another run.",
    "insight.no_file": "“{name}” has no stored weights ({file} is missing): train it again for at "
    "least one epoch, import its .safetensors file on the Training runs page, or pick another "
    "run.",
    "insight.no_weights": "“{name}” has no stored weights yet: train it for at least one epoch, "
    "import its .safetensors file on the Training runs page, or pick another run.",
    "insight.damaged": "“{name}” has no readable stored weights ({file} is damaged or not this "
    "run's): train it again for at least one epoch, or pick another run.",
    "insight.damaged_evaluation": "The stored evaluation is damaged ({detail}).",
    "insight.eval_version": "Unknown evaluation version {version}.",
    "insight.counts": "The matrices count different test images ({a:,} and {b:,}): compare runs "
    "on the same images.",
    "why.stopped": "was stopped before its first epoch ended",
    "why.failed": "failed before its first epoch ended",
    "why.interrupted": "was interrupted before its first epoch ended",
    "why.none": "has no finished epoch",
    "step.grey_rgb": "grey: the mean of the red, green and blue channels",
    "step.alpha": "the alpha channel was ignored",
    "step.grey_n": "grey: the mean of its {c} channels",
    "step.clipped": "clipped to 0…1",
    "step.levels": "levels stretched: background {bg:.2f} → 0, brightest {top:.2f} → 1",
    "step.framed_already": "framing: the item already fills the square frame",
    "step.framed": "framed as Fashion-MNIST frames its items: cropped to the item ({item} at x "
    "{x}, y {y}) and centred on a black {square} square, so its longer side fills "
    "the frame",
    "step.inverted": "inverted: light background → black ({share:.0%} of the border was light); "
    "Fashion-MNIST shows light items on black",
    "step.polarity": "polarity kept: the background is already dark, as in Fashion-MNIST",
    "step.how_shrink": "bilinear, antialiased",
    "step.how_grow": "bilinear, as training resizes",
    "step.stretched": ", stretching it to a square",
    "step.resized": "resized {old} → {new} ({how}{stretched}): the run's input size",
    "step.kept": "kept at {new}, the run's input size",
    "step.repeated": "grey repeated on {c} channels",
    "ablation.seeds": "Repeat each variant 1 to {most} times (seeds), not {got}.",
    "ablation.two_values": "Pick at least two values to compare.",
    "ops.too_big": "The kernel {what} {k}{dil} is larger than the padded input {what} {n} + 2·{p} "
    "= {total}: not even one window fits, so the output would be empty. Use a "
    "smaller kernel or dilation, or more padding.",
    "ops.dilated": " (dilated by {d}: it spans {span} cells)",
    "ops.pool_padding": "padding = {p} is more than half of the pooling window ({k} // 2 = "
    "{half}): PyTorch requires padding ≤ kernel_size / 2, because otherwise a "
    "window could hold nothing but padding.",
    "ops.pool_padding_axis": "padding ({axis}) = {p} is more than half of the pooling window's "
    "{axis} ({k} // 2 = {half}): PyTorch requires padding ≤ kernel_size "
    "/ 2, because otherwise a window could hold nothing but padding.",
    "ops.avg_dilation": "Average pooling has no dilation in PyTorch (nn.AvgPool2d, F.avg_pool2d): "
    "set dilation to 1.",
    "axis.height": "height",
    "axis.width": "width",
    "axis.size": "size",
    "runfile.short": "“{name}” is not a safetensors file (it is {n} bytes long).",
    "runfile.header_length": "“{name}” is not a safetensors file (its header length does not fit "
    "the file).",
    "runfile.not_json": "“{name}” is not a safetensors file (its header is not valid JSON: "
    "{detail}).",
    "runfile.newer": "“{name}” comes from a newer cnnviz (run file version {version}); update "
    "cnnviz to import it.",
    "runfile.description": "“{name}” has a damaged run description ({detail}).",
    "runfile.no_run": "“{name}” holds weights but no cnnviz run: only files from the Training "
    "page's “Weights (.safetensors)” button (or a run store's checkpoints "
    "folder) can be imported.",
    "runfile.mismatch": "The weights in “{name}” do not fit the {family} network it describes "
    "({missing} missing, {extra} unexpected, {wrong} of the wrong shape or "
    "type; first: {first}).",
    "runfile.cut_short": "The weights in “{name}” end {n:,} bytes after the file does: it is cut "
    "short.",
    "access.hidden": "Run {run_id} belongs to another student, and the teacher has turned off "
    "opening other students' runs by link.",
    "access.control": "Run {run_id} is another student's: only its owner or the teacher may "
    "stop or delete it.",
    "access.teacher": "Only the teacher may do this.",
    "access.seat": "This is another student's seat.",
    "access.spotlight": "The teacher's spotlight shows another student's run.",
    "experiment.bad_value": "“{value}” is no {field} from {low} to {high}.",
    "experiment.values": "An experiment compares 2 to {most} values; {n} were given.",
    "experiment.preset": "Unknown preset “{preset}”.",
    "experiment.field": "{preset} has no field “{field}” to vary.",
    "experiment.size": "Unknown size “{mode}”.",
    "experiment.bad_choice": "“{value}” is not a value of {field}.",
    "experiment.invalid": "{error}",
    "experiment.handout": "Unknown hand-out “{handout}”.",
    "experiment.full": "Full-size runs need a GPU or a Ray cluster, and the teacher's "
    "permission; choose the quick or the CPU-classroom size.",
    "experiment.spotlight": "Unknown spotlight “{kind}”.",
    "experiment.no_run": "This seat has no run to show yet.",
    "experiment.missing": "No class experiment {id}.",
    "experiment.no_pick": "The teacher hands the values out.",
    "experiment.missing_value": "No such value.",
    "experiment.set": "Your run has started: your value is set.",
    "experiment.ended": "The teacher has ended this experiment.",
    "experiment.pick_first": "Pick a value first.",
    "experiment.started": "Your run has started already.",
    "limit.imports": "You keep {most} imported runs, the most a student may: delete one before "
    "importing another.",
    "secret.short": "The teacher secret (CNNVIZ_TEACHER_SECRET) has {n} characters; it needs at "
    "least {most}. The teacher role stays off until it is longer.",
    "secret.guesses": "Too many wrong guesses of the teacher secret; try again in {s} s.",
    "class.pseudonym": "Student {n}",
    "class.name_empty": "Type a name to show to the teacher.",
    "class.name_long": "That name has {n} characters; a name may have at most {most}.",
    "class.bad_code": "That code does not match the open class; check the code on the projector.",
    "class.none_open": "No class is open now: cnnviz works without one. Ask the teacher to open "
    "it.",
    "class.name_busy": "“{name}” is in use in another browser. If it is yours (you cleared its "
    "cookies or changed browser), try again in {s} s; otherwise pick another name.",
    "class.seat_key": "“{name}” is taken. If it is your seat, type its seat key (shown on the "
    "Class page after you joined) to take it back; otherwise pick another name.",
    "class.name_taken": "“{name}” is already taken in this class; pick another name.",
    "class.seat_rate": "Too many seats were made from your network address lately (at most "
    "{most} in {min} min). Try again in {s} s, or ask the teacher.",
    "class.join_first": "A class is open: join it with the code on the projector before starting "
    "runs (Class page).",
}
