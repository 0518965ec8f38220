"""사이드바의 교사 상자 (ui/identity.py)."""

TEXT = {
    "teacher": "교사",
    "teacher_mode": "교사 모드: 모든 실행을 보고, 중지하고, 삭제하고, 고정할 수 있으며, 전체 크기 "
    "실행을 시작할 수 있습니다.",
    "share_links": "학생이 링크로 다른 학생의 실행을 열 수 있음",
    "lock": "교사 모드 잠그기",
    "no_secret": "이 서버에는 교사 비밀번호가 설정되어 있지 않습니다: CNNVIZ_TEACHER_SECRET을 "
    "(또는 .streamlit/secrets.toml의 `[cnnviz]` 아래에 `teacher_secret`을) 설정하고 "
    "다시 시작하세요.",
    "secret": "교사 비밀번호",
    "unlock": "잠금 해제",
    "wrong": "교사 비밀번호가 아닙니다.",
}
