"""학습 실행: 실행 양식, 실시간 실행, 실행 표, 가져오기, 첫 번째 층."""

from ui.locales.ko.common import STATUS_PLAIN

TEXT = {
    "title": "학습 실행",
    "lesson": "6.6 (train_ch6), 7.6, 8.2, 8.6에서 사용",
    "intro": "네트워크를 고르고 **학습 시작**을 누른 뒤 d2l의 학습 루프가 일하는 모습을 보세요. "
    "에포크마다 손실 곡선과 정확도 곡선에 점이 하나씩 더해집니다 (흐린 선은 에포크 "
    "안에서 계속 갱신되는 학습 손실입니다). 실행은 백그라운드에서 학습합니다: 페이지를 "
    "옮기거나, 새로 고치거나, 나중에 돌아와도 곡선과 가중치와 함께 실행 저장소에 "
    "보관되어 있습니다.",
    "source": "모델",
    "source_preset": "프리셋",
    "source_builder": "빌더의 현재 모델",
    "no_builder": "먼저 아키텍처 빌더 페이지에서 모델을 설계하세요. 그때까지는 프리셋을 고르세요.",
    "preset": "프리셋",
    "epochs": "에포크 수 (num_epochs)",
    "lr": "학습률 (lr)",
    "lr_help": "비워 두면: 이 모델에 대한 d2l의 학습률 ({lr}).",
    "batch": "배치 크기",
    "subset": "학습 예제 수",
    "subset_help": "자동: 이 장치에서 한 에포크가 1분 안팎이 되는 가장 많은 예제 수 (최대 "
    "60,000개 전부; 지금은 {n:,}개).",
    "subset_auto": "자동",
    "device": "장치",
    "start": "학습 시작",
    "stop": "중지",
    "estimate": "이 실행은 이 {dev}에서 **{total}** 걸릴 것입니다 ({span}): 학습 예제 {n:,}개와 "
    "검증 예제 {v:,}개로 {e} 에포크, {basis}.",
    "estimate_one": "이 실행은 이 {dev}에서 **{total}** 걸릴 것입니다: 학습 예제 {n:,}개와 "
    "검증 예제 {v:,}개로 {e} 에포크, {basis}.",
    "left": "약 **{left}** 남았습니다 ({span}), {basis}.",
    "left_one": "약 **{left}** 남았습니다, {basis}.",
    "starts_in": "{t} 뒤에 시작할 것입니다.",
    "slow_start": "책의 LeNet은 시그모이드 활성화 함수를 씁니다. d2l의 학습률 0.1로는 처음 수백 "
    "개 배치 동안 손실이 2.30 근처에, 정확도가 우연 수준 (10%) 근처에 머물다가 그 "
    "뒤에 떨어집니다. 이 실행은 배치가 {k:,}개뿐이라 곡선이 평평해 보일 수 "
    "있습니다. 원본 노트에서는 ReLU가 더 나았습니다: “ReLU를 사용한 모델은 초기부터 "
    "손실값이 급격하게 줄어들고, 정확도가 빠르게 증가한다” (기울기 소실). 예제나 "
    "에포크를 늘려 학습하거나, 이것을 해 보세요:",
    "use_relu": "LeNet-ReLU 사용",
    "estimate_slow": "수업에는 긴 시간입니다: 학습 예제 수를 줄이거나 GPU를 쓰세요.",
    "sources": {
        "preset": "프리셋",
        "builder": "빌더의 현재 모델",
    },
    "practical": "이 컴퓨터에서 현실적인 것",
    "practical_body": "cnnviz는 Fashion-MNIST를 텐서 하나로 두고 거기서 배치를 잘라 내므로, 작은 "
    "네트워크는 노트북 CPU에서도 빨리 학습합니다:\n\n| 모델 | 입력 | 2코어 "
    "CPU에서 한 에포크 전체 (이미지 60,000장) | GPU에서 |\n|---|---|---|---|\n| "
    "LeNet | 28×28 | 몇 초 | 약 1초 |\n| VGG-small-56 | 56×56 | 약 2분 | 몇 초 "
    "|\n| ResNet-18 | 96×96 | 약 12분 | 약 5초 |\n| VGG-11 | 224×224 | 몇 시간 "
    "| 약 1분 |\n\nCPU에서는 큰 네트워크를 일부 데이터로 학습하세요 (*자동* "
    "크기는 한 에포크를 1분 안팎으로 맞춥니다). 곡선의 모양은 같고, 정확도만 "
    "낮아집니다. 책은 각 모델을 60,000장 전부로 10 에포크 동안 SGD와 배치 크기 "
    "128로 학습합니다. 여기서도 그것이 기본값입니다.",
    "threads": {
        "one_core": "**이 컴퓨터의 스레드:** 실행 하나는 스레드 **1**개로 학습합니다. 이 컴퓨터가 "
        "cnnviz에 준 코어가 하나뿐이라 실행과 웹 서버가 그 코어를 나눠 쓰므로, 실행이 학습하는 "
        "동안에는 페이지가 더 느리게 응답합니다.",
        "two_cores": "**이 컴퓨터의 스레드:** 실행 하나는 이 컴퓨터의 코어 {cores}개 중 하나에서 "
        "스레드 **{threads}**개로 학습하고, 나머지 코어는 웹 서버가 씁니다. 2코어 컴퓨터에서 잰 "
        "결과: 두 코어를 모두 쓰면 실행이 더 빨리 학습했지만 (LeNet +60–75%), 학습하는 동안 "
        "페이지 응답이 3분의 1쯤 느려졌고, 지켜보는 실행은 속도를 덜 지켰습니다 (바쁜 컴퓨터에서 "
        "지켜보지 않는 실행의 72%가 아니라 66%). 수업에서는 페이지가 먼저입니다. 아무도 지켜보지 "
        "않을 때는 `CNNVIZ_THREADS=2`로 실행에 두 코어를 모두 줄 수 있습니다.",
        "spare": "**이 컴퓨터의 스레드:** 실행 하나는 스레드 **{threads}**개로 학습합니다. 이 "
        "컴퓨터가 cnnviz에 준 코어는 {cores}개입니다. 하나는 페이지가 빠르게 응답하도록 웹 서버에 "
        "남기고, 나머지는 동시에 학습하는 실행들 (최대 {workers}개)이 나눠 씁니다.",
        "set": "**이 컴퓨터의 스레드:** `CNNVIZ_THREADS` 설정대로 실행 하나는 스레드 "
        "**{threads}**개로 학습합니다 (이 컴퓨터가 cnnviz에 준 코어는 {cores}개).",
        "here": "**이 컴퓨터의 스레드:** 실행은 웹 서버 자신의 프로세스 안에서 (스레드 실행기) 그 "
        "스레드 **{threads}**개로 학습합니다.",
        "cluster": "**이 컴퓨터의 스레드:** 실행은 Ray 클러스터에서, 각자 클러스터에 요청한 CPU "
        "**{threads}**개로 학습합니다.",
    },
    "no_data": "학습하려면 Fashion-MNIST가 필요합니다. Fashion-MNIST 데이터 페이지를 보세요.",
    "run_title": "실행",
    "no_runs": "아직 실행이 없습니다: 위에서 모델을 고르고 **학습 시작**을 누르세요.",
    "your_runs": "내 실행이 먼저, 그다음에 반 전체에 고정된 실행이 나옵니다.",
    "queued": "대기 중: {pos}번째 순서입니다. 앞선 실행들이 끝나면 시작합니다.",
    "queued_unknown": "대기 중: 작업자가 비면 시작합니다.",
    "not_yours": "이 실행은 {owner}의 것입니다: 지켜볼 수는 있지만, 중지하거나 삭제하는 것은 "
    "주인이나 교사만 할 수 있습니다.",
    "hidden": "실행 {run_id}은(는) 다른 학생의 것이고, 교사가 링크로 다른 학생의 실행을 여는 "
    "기능을 꺼 두었습니다.",
    "delete": "이 실행 삭제",
    "delete_confirm": "**{name}**과(와) 그 지표, 가중치를 삭제할까요? 되돌릴 수 없습니다.",
    "delete_yes": "예, 삭제합니다",
    "deleted": "실행 {name}을(를) 삭제했습니다.",
    "pin": "반 전체에 고정",
    "pin_help": "고정된 실행은 모든 학생에게 보이고, 보관 규칙이나 할당량 때문에 가중치를 잃지 "
    "않습니다.",
    "owner_you": "나",
    "owner_pinned": "고정됨",
    "owner_class": "반 전체",
    "status": {
        "queued": ":material/schedule: 대기 중",
        "running": ":material/play_circle: 실행 중",
        "finished": ":material/check_circle: 완료",
        "stopped": ":material/stop_circle: 중지됨",
        "failed": ":material/error: 실패",
        "interrupted": ":material/warning: 중단됨",
    },
    "progress": "에포크 {e}/{n} · 배치 {b}/{nb} · 현재 손실 {loss:.3f}",
    "progress_epochs": "마친 에포크: {d}/{n}",
    "all_runs": "모든 실행",
    "show": "실행 보기",
    "csv": "지표 (CSV)",
    "ckpt": "가중치 (.safetensors)",
    "store": "실행은 `{root}`에 보관됩니다 (옮기려면 CNNVIZ_HOME을 설정하세요).",
    "import": "실행 가져오기",
    "import_body": "모든 실행의 **가중치 (.safetensors)** 파일에는 실행 자체도 담겨 있습니다: "
    "설정과 모든 에포크의 지표. 여기에 올리면 그 실행을 이 저장소로 가져옵니다 — "
    "예를 들어 GPU 컴퓨터에서 `python -m cnnviz train`으로 학습한 실행 (그 파일은 "
    "그 저장소의 `checkpoints` 폴더에 있습니다). 여기서는 {mb} MB까지 (LeNet, "
    "ResNet-18, 조정된 VGG); 더 큰 파일 (VGG-small, VGG-11)은 이 페이지를 "
    "서비스하는 컴퓨터에서: `python -m cnnviz import FILE`.",
    "import_file": "cnnviz 가중치 파일",
    "importing": "{name}을(를) 확인하고 가져오는 중…",
    "import_added": "**{name}**을(를) 가져왔습니다 ({n} 에포크 중 {e} 에포크, {status}). 위에 "
    "보입니다.",
    "import_known": "**{name}**은(는) 이미 이 저장소에 있습니다. 위에 보입니다.",
    "learned": "첫 번째 층이 배운 것, 에포크마다",
    "learned_intro": "첫 번째 합성곱 층의 커널 (빨강은 양수, 파랑은 음수)과 테스트 이미지 하나에 "
    "대한 특성 맵 (활성화 함수를 거친 뒤)을 에포크마다 보관합니다: 슬라이더를 "
    "끌어 학습 과정을 되감아 보세요. 에포크 0은 Xavier 초기화입니다. 여기서 "
    "cnnviz는 책보다 더 나아갑니다: d2l은 LeNet, VGG, ResNet이 무엇을 배우는지 "
    "보여 주지 않습니다.",
    "learned_soon": "실행이 시작되면 첫 번째 층이 바로 여기에 나타납니다.",
    "learned_none": "이 실행에는 에포크별 스냅숏이 없습니다 (cnnviz가 스냅숏을 보관하기 전에 "
    "학습되었습니다).",
    "scrub": "에포크 뒤",
    "sample": "테스트 이미지",
    "sample_help": "Fashion-MNIST 테스트 이미지 10,000장 중 번호.",
    "kernels": "첫 번째 층의 커널",
    "maps": "테스트 이미지 {i} ({label})에 대한 첫 번째 층의 특성 맵",
    "status_plain": STATUS_PLAIN,
    "m_val_acc": "검증 정확도",
    "m_train_acc": "학습 정확도",
    "m_train_loss": "학습 손실",
    "m_examples": "예제/초",
    "chart_loss": "손실",
    "chart_acc": "정확도",
    "chart_epoch": "에포크",
    "student": "학생 {uid}",
    "pinned_suffix": " · 고정됨",
    "columns": {
        "name": "이름",
        "owner": "주인",
        "status": "상태",
        "epochs_done": "에포크",
        "num_epochs": "전체",
        "final_val_acc": "검증 정확도",
        "best_val_acc": "최고 검증 정확도",
        "examples_per_s": "예제/초",
        "seconds": "초",
        "size_mb": "디스크 MB",
        "device": "장치",
        "created": "만든 시각",
        "run_id": "run_id",
    },
    "epoch0": "에포크 0 (초기화)",
    "after_epoch": "에포크 {epoch} 뒤",
    "import_failed": "{name}을(를) 가져오지 못했습니다 ({error}).",
    "curves": {
        "running": "학습 손실 (진행 중)",
        "train_loss": "학습 손실",
        "val_loss": "검증 손실",
        "train_acc": "학습 정확도",
        "val_acc": "검증 정확도",
    },
}
