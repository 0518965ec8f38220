"""모든 수업 페이지의 공통 이미지 선택기 (ui/images.py)."""

TEXT = {
    "source": "입력 이미지",
    "sources": {
        "stripes": "줄무늬 6×8 (d2l 7.2)",
        "matrix": "행렬 0..8 (d2l 7.2)",
        "fashion": "Fashion-MNIST 샘플",
        "draw": "그리기",
        "upload": "업로드",
    },
    "draw_size": "그림 해상도 (픽셀)",
    "brush": "붓 굵기",
    "draw_hint": "검은 사각형 위에 마우스로 그리세요. 수업은 여러분이 그린 획을 씁니다.",
    "upload": "PNG 또는 JPEG",
    "upload_hint": "PNG나 JPEG를 올리세요. 그때까지는 줄무늬 이미지를 씁니다.",
    "class": "클래스",
    "sample": "샘플",
    "note": "{name}: {note}.",
    "names": {
        "stripes": "줄무늬",
        "matrix 0..8": "행렬 0..8",
        "stripes (until you draw)": "줄무늬 (그림을 그리기 전까지)",
        "drawing": "그림",
        "stripes (no upload yet)": "줄무늬 (아직 업로드 없음)",
    },
}
