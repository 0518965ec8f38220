"""수업 보드 (수업 실험, 프로젝터용): app_pages/board.py와 ui/board.py, 어블레이션 실험실의
설정 상자."""

from cnnviz import class_experiment as X
from ui.locales.ko.common import STATUS_PLAIN

TEXT = {
    "title": "수업 보드",
    "lesson": "7.6 LeNet · 8.1–8.7 — 반 전체가 어블레이션 하나를 실행",
    "intro": "반 전체가 **실험 하나를 함께** 실행합니다: 교사가 기본 설정과 **바꿀 필드 하나**를 "
    "고르면, 학생마다 자기 값으로 실행 하나를 학습하고, 이 보드가 반이 알아낸 것을 모읍니다 — "
    "모든 자리의 곡선을 실시간으로, 그다음 값마다의 평균과 퍼짐, 최종 정확도, 무엇이 가장 잘 "
    "학습했는지 말하는 문장. 여기서 cnnviz는 책보다 더 나아갑니다: 책은 모델을 한 번에 하나씩 "
    "학습합니다.",
    "no_class": "열린 수업이 없습니다: 교사가 **수업** 페이지에서 수업을 연 다음, 여기나 "
    "어블레이션 실험실에서 실험을 설정합니다.",
    "no_experiment": "아직 수업 실험이 없습니다: 교사가 실험을 설정합니다 (아래, 또는 어블레이션 "
    "실험실의 **수업 실험** 상자).",
    "no_experiment_student": "아직 수업 실험이 없습니다: 교사가 곧 설정합니다.",
    "setup": "수업 실험",
    "setup_intro": "기본 설정을 반 전체가 실행하는 실험으로 바꿉니다: 자리마다 바꾸는 필드의 값 "
    "하나로 실행 하나를 학습합니다.",
    "preset": "기본 설정 (프리셋)",
    "field": "바꿀 필드",
    "fields": {
        "lr": "학습률 (lr)",
        "activation": "활성화 함수",
        X.VARIANT: "네트워크의 변형",
        "batch_norm": "배치 정규화 켜기/끄기",
        "batch_size": "배치 크기",
        "seed": "시드",
    },
    "values": "값",
    "values_text": "쉼표로 구분한 값",
    "handout": "값을 나눠 주는 방식",
    "handouts": {X.ROUND_ROBIN: "자리 순서대로 돌아가며", X.PICK: "학생마다 직접 고르기"},
    "size": "크기",
    "sizes": {
        "quick": "빠르게 보기 (몇 초)",
        "classroom": "CPU 교실 (몇 분)",
        "full": "전체 크기 (책의 설정)",
    },
    "allow_full": "전체 크기 실행 허용 (GPU나 Ray 클러스터가 있음)",
    "seed": "기본 시드",
    "seed_help": "값마다 n번째 자리는 시드 기본값 + n으로 학습합니다: 어블레이션 실험실처럼 값들이 "
    "시드로 짝지어집니다.",
    "create": "수업 실험 설정하기",
    "next": "다른 실험 설정하기",
    "created": "수업 실험이 설정되었습니다: 학생들은 수업 보드에서 자기 값을 봅니다.",
    "current": "**실험:** {title} · {size} · 값은 {handout}",
    "handout_short": {X.ROUND_ROBIN: "자리 순서대로 나눠 줌", X.PICK: "학생마다 직접 고름"},
    "ended": "교사가 실험을 끝냈습니다: 보드가 값마다의 평균과 띠를 보여 줍니다.",
    "join_first": "실험에 참여하려면 **수업** 페이지에서 수업에 들어오세요.",
    "yours": "**내 값:** {value}",
    "pick": "내 값 고르기",
    "start": "내 실행 시작",
    "your_run": "내 실행 ({value}): {status}, 에포크 {n}개 중 {done}개.",
    "started": "내 실행이 대기열에 들어갔습니다: 학습이 시작되면 보드에 곡선이 나타납니다.",
    "controls": "교사 도구",
    "hand_out": "지금 모든 자리에 값 나눠 주기",
    "handed": "자리 {n}곳에 값을 나눠 주었습니다.",
    "end": "실험 끝내기 (평균과 띠 보기)",
    "spotlight": "프로젝터에",
    "spot_board": "수업 보드",
    "spot_none": "없음 (프로젝터 화면 자체의 페이지)",
    "spot_run": "{name}의 실행",
    "spotlight_run": "**프로젝터에: {name}의 실행** ({value}, {status})",
    "csv": "결과 CSV",
    "progress": "자리 {seats}곳 중 {started}곳 시작 · {running}곳 학습 중 · {done}곳 완료",
    "curves_live": "모든 자리의 학습 손실, 실시간",
    "curves_final": "값마다 실행들의 평균과 띠",
    "scatter": "값에 따른 최종 검증 정확도",
    "table": "자리, 값, 결과",
    "table_empty": "아직 값을 받은 자리가 없습니다: 값을 나눠 주면 자리마다 값과 결과가 "
    "여기에 나타납니다.",
    "conclusion": "반이 알아낸 것",
    "unreadable": "지금은 수업 실험을 읽을 수 없습니다 ({error}). 잠시 후 페이지를 새로 고치세요; "
    "계속되면 교사가 새 실험을 설정합니다.",
    "waiting": "실행이 잠시 학습하면 곡선이 여기에 나타납니다.",
    "status_plain": {**STATUS_PLAIN, "": "시작 전"},
    "columns": {
        "seat": "자리",
        "value": "값",
        "status": "상태",
        "epochs": "에포크",
        "final val acc": "최종 검증 정확도",
        "best val acc": "최고 검증 정확도",
        "final train loss": "최종 학습 손실",
        "diverged": "발산",
        "seed": "시드",
        "run_id": "실행",
    },
    "words": {
        "best": "{value}이(가) 가장 잘 학습했습니다 (최종 검증 정확도 {acc}, 실행 {n}개의 평균)",
        "level": "{values}은(는) 같은 정확도로 끝났습니다 (최종 검증 정확도 {acc}): 가장 잘 학습한 "
        "값이 없습니다",
        "diverged": "{value}에서는 실행 {n}개 중 {k}개가 발산했습니다",
        "all_diverged": "모든 실행이 발산했습니다",
        "sep": "; ",
    },
    "charts": {
        "epoch": "에포크",
        "train_loss": "학습 손실",
        "val_acc": "검증 정확도",
        "value": "값",
        "diverged": "발산",
        "seat": "자리",
    },
}
