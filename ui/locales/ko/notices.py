"""실행에 저장된 알림과 오류 (cnnviz.runs.notices)의 문장별 한국어 번역과 그 안에 인용된 이유."""

from ui.locales.ko.common import STATUS_PLAIN

TEXT = {
    "notice.no_gpu": "여기에는 GPU (CUDA)가 없습니다: 대신 CPU에서 학습합니다.",
    "notice.graphs_off": "여기서는 CUDA 그래프를 쓸 수 없었습니다 ({error}). 그래프 없이 학습을 "
    "계속합니다.",
    "notice.stopped": "중지됨: 진행 중이던 배치가 중지를 누르고 {grace_s}초 안에 끝나지 않아, 그 "
    "배치를 학습하던 프로세스를 끝냈습니다. 끝난 에포크는 보관됩니다.",
    "notice.imported": "{name}에서 가져왔습니다.",
    "notice.snapshots_not_kept": "에포크별 스냅숏은 보관하지 않았습니다 ({reason}).",
    "notice.evaluation_not_kept": "평가는 보관하지 않았습니다 ({reason}).",
    "notice.weights_removed": "가중치를 지웠습니다 ({reason}). 지표와 곡선은 보관됩니다.",
    "error.reaped": "이 실행을 돌리던 프로세스가 끝났습니다 (서버 재시작이나 충돌). 끝난 "
    "에포크는 보관됩니다.",
    "error.interrupted": "중단됨: {reason}. 끝난 에포크는 보관됩니다.",
    "error.not_saved": "실행을 저장할 수 없었습니다 ({error}): 디스크 공간을 비우거나 실행 "
    "저장소 폴더를 확인한 뒤 다시 학습시키세요. 끝난 에포크는 보관됩니다.",
    "error.imported_cut_off": "실행이 ‘{status}’ 상태일 때 에포크 {epochs} 뒤에 저장된 파일에서 "
    "가져왔습니다. 끝난 에포크는 보관됩니다.",
    "error.not_started": "시작할 수 없었습니다: {error}",
    "reason.trim_old": "{days}일보다 오래됨",
    "reason.trim_user_quota": "주인이 할당량 {mb} MB를 넘음",
    "reason.trim_store_quota": "실행 저장소가 할당량 {mb} MB를 넘음",
    "reason.snapshots_size": "{n}자를 차지함 (최대 {most}자)",
    "reason.snapshots_base64": "base64가 아님",
    "reason.snapshots_header": "safetensors 파일이 아님 ({reason})",
    "reason.snapshots_header_values": "cnnviz가 읽을 수 있는 safetensors 파일이 아님 ({reason})",
    "reason.snapshots_name": "텐서 이름 {name}이(가) ‘에포크 번호/층 이름’ 꼴이 아님",
    "reason.snapshots_empty": "텐서가 하나도 없음",
    "reason.snapshots_epoch": "에포크 {n}개짜리 실행인데 에포크 {epoch}이(가) 들어 있음",
    "reason.snapshots_fit": "에포크 {epoch}이(가) 파일이 설명하는 네트워크에 맞지 않음 (첫 번째: "
    "{first})",
    "reason.snapshots_unreadable": "읽을 수 없음 ({error})",
    "reason.analysis_size": "평가가 {most}자보다 큼",
    "reason.analysis_damaged": "평가가 손상됨: {detail}",
    "reason.analysis_images": "평가는 이미지 {n}장을 세지만, 이 실행은 {want}장으로 검증함",
    "reason.analysis_epoch": "평가는 에포크 {epoch}의 것인데, 이 실행의 에포크는 {n}개임",
    "reason.header_short": "길이가 {n}바이트임",
    "reason.header_length": "헤더 길이가 파일에 맞지 않음",
    "reason.header_values": "헤더에 값이 {most}개 넘게 있음",
    "reason.header_nested": "헤더가 너무 깊게 중첩됨",
    "reason.header_not_json": "헤더가 올바른 JSON이 아님: {detail}",
    "reason.header_not_object": "헤더가 JSON 객체가 아님",
    "reason.header_not_text": "메타데이터가 텍스트가 아님: safetensors는 문자열만 담음",
    "reason.header_damaged": "헤더가 손상됨: {detail}",
    "reason.exit_silent": "작업 프로세스가 응답하지 않음",
    "reason.exit_killed": "작업 프로세스가 강제로 끝남 (시그널 {sig}, {name}: 시스템의 메모리가 "
    "바닥났거나 누군가 프로세스를 끝냄)",
    "reason.exit_crashed": "작업 프로세스가 비정상 종료됨 (시그널 {sig}, {name}: 세그멘테이션 "
    "오류)",
    "reason.exit_signal": "작업 프로세스가 시그널 {sig} ({name})로 끝남",
    "reason.exit_code": "작업 프로세스가 코드 {code}로 끝남",
    "reason.thread_failed": "학습 스레드가 실패함 ({error})",
    "reason.store_refused": "실행 저장소가 쓰기를 거부함 ({error})",
    "reason.ray_lost": "이 실행을 학습하던 Ray 작업자를 잃음 ({error}: 그 노드나 프로세스가 죽음)",
    "reason.ray_failed": "Ray 실행기가 실패함 ({error})",
    "status_plain": STATUS_PLAIN,
}
