"""모든 페이지가 함께 쓰는 문자열: 사이드바, 데이터셋 메시지, 오류 경계."""

# A run's status in a sentence or a table (the Training page, the lab, the insight page).
STATUS_PLAIN = {
    "queued": "대기 중",
    "running": "실행 중",
    "finished": "완료",
    "stopped": "중지됨",
    "failed": "실패",
    "interrupted": "중단됨",
}

TEXT = {
    "language": "Language · 언어",
    "device": "**장치:** {device}",
    "data_found": "**데이터:** :material/check_circle: {line}",
    "data_missing": "**데이터:** :material/warning: Fashion-MNIST를 찾지 못했습니다 — 데이터 "
    "페이지를 보세요",
    "presenter": "발표 모드",
    "presenter_help": "프로젝터용으로 글자를 키웁니다. « 로 사이드바를 접으면 화면이 더 "
    "넓어집니다.",
    "link_note": ":material/link: 수업의 설정은 페이지 주소에 담깁니다. 새로 고침해도 유지되고, "
    "복사한 링크를 열면 같은 설정으로 수업이 열립니다.",
    "reading_data": "Fashion-MNIST를 읽는 중…",
    "how_to": "Fashion-MNIST를 찾지 못했습니다. cnnviz는 실제 데이터셋으로 학습하며 다음 위치에서 "
    "찾습니다:\n1. 환경 변수 CNNVIZ_DATA가 가리키는 폴더 (네 개의 파일 "
    "train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
    "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]);\n2. 데비안 패키지: sudo "
    "apt-get install dataset-fashion-mnist (/usr/share/datasets/fashion-mnist 에 "
    "설치됩니다);\n3. 이 컴퓨터가 인터넷에 연결될 때는 torchvision의 다운로드.\n"
    "패키지를 설치한 뒤 (2단계, 또는 이를 대신 해 주는 `make run`) 페이지를 새로 "
    "고치세요.",
    "looked_in": "찾아본 곳:",
    "data_damaged": "Fashion-MNIST를 찾았지만 파일이 손상되었습니다: {error}",
    "went_wrong": "{where}에서 문제가 생겼습니다: {error}. 입력한 내용은 그대로 있습니다. 설정을 "
    "바꾸거나 페이지를 새로 고쳐 다시 시도하세요.",
    "no_memory": "{where}에서 메모리가 부족합니다: 이 설정에 필요한 만큼을 컴퓨터가 담을 수 "
    "없습니다. 입력한 내용은 그대로 있습니다. 더 작은 이미지, 입력 크기, 배치, 네트워크로 "
    "해 보세요.",
    "oom_run": "{device}의 메모리가 부족해 {family}을(를) {size}×{size}, 배치 크기 {batch}로 "
    "학습할 수 없었습니다. 배치 크기나 입력 크기를 줄여 보세요 (또는 더 작은 모델).",
    "oom_device": {"cuda": "GPU", "cpu": "컴퓨터"},
    "out_of_memory": "메모리 부족: 필요한 만큼을 컴퓨터가 담을 수 없습니다",
    "this_page": "이 페이지",
    "decoding": "업로드한 파일을 디코딩하는 중…",
    "classes": (
        "티셔츠",
        "바지",
        "풀오버",
        "드레스",
        "코트",
        "샌들",
        "셔츠",
        "운동화",
        "가방",
        "앵클 부츠",
    ),
    "gpu": "GPU: {name}",
    "cpu": "CPU (스레드 {n}개), GPU 없음",
    # placeholders of an empty choice (Streamlit's own are English)
    "pick_one": "하나 고르세요",
    # a chart's text alternative (ui.common.chart)
    "chart": "차트",
    "grid_alt": "{h}×{w} 숫자 격자",
    "data_table": "데이터를 표로 보기",
    "table_grid": "행",
    "table_series": "계열",
    "table_summary": ["크기", "최솟값", "최댓값", "평균"],
    "skip": "수업 내용으로 건너뛰기",
    "pick_some": "고르세요",
}
