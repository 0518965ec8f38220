"""라우터의 섹션과 페이지 제목 (app.py), 홈 페이지에서도 씁니다."""

TEXT = {
    "app_title": "cnnviz — d2l 7–8장",
    "sec_conv": "합성곱",
    "sec_arch": "아키텍처",
    "sec_train": "학습",
    "home": "홈",
    "classroom": "수업",
    "why_conv": "왜 합성곱인가 (7.1)",
    "xcorr": "교차상관 (7.2)",
    "learn_kernel": "커널 학습하기 (7.2)",
    "padding": "패딩과 스트라이드 (7.3)",
    "channels": "채널 (7.4)",
    "pooling": "풀링 (7.5)",
    "batch_norm": "배치 정규화 (8.5)",
    "builder": "아키텍처 빌더 (7.6, 8.1–8.7)",
    "data": "Fashion-MNIST 데이터",
    "training": "학습 실행",
    "insight": "네트워크가 배운 것",
    "ablation": "어블레이션 실험실",
    "board": "수업 보드",
}
