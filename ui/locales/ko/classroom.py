"""수업 페이지: 수업 열기, 참여하기, 명단, 프로젝터 화면."""

from ui.locales.ko.common import STATUS_PLAIN

TEXT = {
    "title": "수업",
    "lesson": "— 수업 세션 (책 너머)",
    "intro": "교사가 수업을 열면, 학생은 브라우저마다 한 번 수업 코드와 이름으로 참여합니다. "
    "수업이 열려 있는 동안에는 학생별 제한, 공정한 대기열, 디스크 할당량을 자리 단위로 "
    "셉니다. 수업이 없으면 cnnviz는 늘 그렇듯 코드 없이 동작합니다.",
    "no_store": "실행 저장소를 열 수 없어 지금은 수업을 열 수 없습니다.",
    "none_open": "열린 수업이 없습니다. 수업을 열면 학생에게 줄 참여 코드가 생깁니다.",
    "open": "수업 열기",
    "open_new": "새 수업 열기",
    "open_new_help": "이 수업을 닫고(자리와 실행은 남습니다) 새 코드로 다른 수업을 엽니다.",
    "close": "수업 닫기",
    "close_help": "학생들은 다시 혼자 작업합니다. 모든 자리, 실행, 보드는 보관됩니다.",
    "opened": "수업을 열었습니다: 코드 **{code}**.",
    "closed": "수업을 닫았습니다. 자리와 실행은 보관됩니다.",
    "code": "참여 코드",
    "link": "참여 링크",
    "projector": "프로젝터 화면 열기",
    "show_names": "프로젝터에 이름 보이기",
    "show_names_help": "끄면 프로젝터에는 가명(학생 1, 학생 2, …)이 보입니다. 아래 명단에는 "
    "언제나 이름이 보입니다.",
    "roster": "명단",
    "roster_empty": "아직 참여한 학생이 없습니다.",
    "roster_count": "자리 {n}개 · {s}초마다 새로 고침",
    "col_seat": "#",
    "col_name": "이름",
    "col_pseudonym": "프로젝터 표시",
    "col_page": "페이지",
    "col_runs": "실행",
    "col_latest": "최근 실행",
    "col_seen": "마지막 접속",
    "no_runs": "없음",
    "seen_ago": "{t} 전",
    "seen_now": "방금",
    "latest": "{name}: {status} (에포크 {done}/{total})",
    "status_plain": STATUS_PLAIN,
    "teacher_only": "명단과 수업 조작은 교사만 할 수 있습니다. 사이드바에서 교사 역할을 잠금 "
    "해제하세요.",
    "join_title": "수업 참여",
    "join_none": "지금 열린 수업이 없습니다. cnnviz는 수업 없이도 쓸 수 있습니다. 교사가 수업을 "
    "열면 프로젝터에 코드가 보입니다.",
    "join_code": "수업 코드",
    "join_name": "이름 (교사에게 보입니다)",
    "join_name_help": "최대 {most}자. 교사가 이름 보이기를 켜지 않으면 프로젝터에는 가명이 "
    "보입니다.",
    "join": "참여",
    "seated": "**{name}**(으)로 수업에 참여하고 있습니다 (자리 {n}).",
    "seated_help": "여러분의 실행, 대기열 순서, 디스크 할당량은 이 자리에 속합니다. 이름을 "
    "바꾸려면 같은 코드로 다시 참여하세요.",
    "rename": "이름 바꾸기",
    "proj_title": "수업 참여",
    "proj_none": "열린 수업이 없습니다.",
    "proj_code": "코드",
    "proj_link": "또는 주소",
    "proj_qr": "참여 링크의 QR 코드",
    "proj_qr_alt": "QR 코드: 스캔하면 참여 링크가 열립니다",
    "proj_seats": "학생 {n}명 참여",
}
