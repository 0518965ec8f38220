"""시간과 예상 시간을 읽는 방식 (cnnviz.estimates.SECONDS_WORDS, BASIS)."""

TEXT = {
    "unknown": "알 수 없음",
    "under_1s": "1초 미만",
    "s": "{n}초",
    "min": "{n}분",
    "h": "{n:.1f}시간",
    "about": "약 {t} ({span})",
    "about_one": "약 {t}",
    "basis": {
        "history": "이 컴퓨터에서 이 네트워크를 앞서 실행한 기록에 따름",
        "probe": "이 컴퓨터의 속도 측정에 따름",
        "fallback": "대략적인 추측: 이 컴퓨터는 아직 측정되지 않았습니다",
        "live": "이 실행의 지금까지 속도에 따름",
    },
}
