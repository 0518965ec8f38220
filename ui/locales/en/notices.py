"""A run's stored notice and error (cnnviz.runs.notices), sentence by sentence, and the reasons
they quote. The values come as the store wrote them (numbers already formatted)."""

from ui.locales.en.common import STATUS_PLAIN

TEXT = {
    "notice.no_gpu": "No GPU (CUDA) is available here: training on the CPU instead.",
    "notice.graphs_off": "CUDA graphs could not be used here ({error}); training goes on without "
    "them.",
    "notice.stopped": "Stopped: the batch in progress did not end within {grace_s} s of Stop, so "
    "the process training it was ended. The finished epochs are kept.",
    "notice.imported": "Imported from {name}.",
    "notice.snapshots_not_kept": "Its epoch snapshots were not kept ({reason}).",
    "notice.evaluation_not_kept": "Its evaluation was not kept ({reason}).",
    "notice.weights_removed": "Its weights were removed ({reason}); its metrics and curves are "
    "kept.",
    "error.reaped": "The process running it ended (server restart or crash); the finished epochs "
    "are kept.",
    "error.interrupted": "Interrupted: {reason}. The finished epochs are kept.",
    "error.not_saved": "The run could not be saved ({error}): free some disk space or check the "
    "run store's folder, then train it again. The finished epochs are kept.",
    "error.imported_cut_off": "Imported from a file saved after epoch {epochs} while the run was "
    "{status}; its finished epochs are kept.",
    "error.not_started": "It could not start: {error}",
    "reason.trim_old": "older than {days} days",
    "reason.trim_user_quota": "its owner is over their {mb} MB quota",
    "reason.trim_store_quota": "the store is over its {mb} MB quota",
    "reason.snapshots_size": "they take {n} characters (at most {most})",
    "reason.snapshots_base64": "they are not base64",
    "reason.snapshots_header": "is not a safetensors file ({reason})",
    "reason.snapshots_header_values": "is not a safetensors file cnnviz can read ({reason})",
    "reason.snapshots_name": "a tensor is named {name}, not epoch<n>/<layer>",
    "reason.snapshots_empty": "they hold no tensors",
    "reason.snapshots_epoch": "they hold epoch {epoch} of a run of {n}",
    "reason.snapshots_fit": "epoch {epoch} does not fit the described network (first: {first})",
    "reason.snapshots_unreadable": "they cannot be read ({error})",
    "reason.analysis_size": "its evaluation is larger than {most} characters",
    "reason.analysis_damaged": "its evaluation is damaged: {detail}",
    "reason.analysis_images": "its evaluation counts {n} images, the run validates on {want}",
    "reason.analysis_epoch": "its evaluation is of epoch {epoch}, the run has {n}",
    "reason.header_short": "it is {n} bytes long",
    "reason.header_length": "its header length does not fit the file",
    "reason.header_values": "its header holds over {most} values",
    "reason.header_nested": "its header is nested too deeply",
    "reason.header_not_json": "its header is not valid JSON: {detail}",
    "reason.header_not_object": "its header is not a JSON object",
    "reason.header_not_text": "its metadata is not text: safetensors keeps strings",
    "reason.header_damaged": "its header is damaged: {detail}",
    "reason.exit_silent": "the worker process stopped answering",
    "reason.exit_killed": "the worker process was killed (signal {sig}, {name}: the system ran "
    "out of memory, or someone killed it)",
    "reason.exit_crashed": "the worker process crashed (signal {sig}, {name}: a segmentation "
    "fault)",
    "reason.exit_signal": "the worker process was ended by signal {sig} ({name})",
    "reason.exit_code": "the worker process exited with code {code}",
    "reason.thread_failed": "its thread failed ({error})",
    "reason.store_refused": "the run store refused its writes ({error})",
    "reason.ray_lost": "the Ray worker training it was lost ({error}: its node or process died)",
    "reason.ray_failed": "the Ray executor failed ({error})",
    "status_plain": STATUS_PLAIN,
}
