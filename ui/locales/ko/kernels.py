"""커널 편집기 (ui/kernels.py)와 커널 프리셋의 이름 (cnnviz.kernels)."""

TEXT = {
    "preset": "커널",
    "preset_help": "책의 [1, −1] 경계 검출기, 고전적인 이미지 필터, 또는 직접 만든 커널.",
    "rows": "커널 행 수",
    "cols": "커널 열 수",
    "grid_help": "칸을 눌러 숫자를 입력하세요. 칸을 벗어나면 출력이 갱신됩니다.",
    "empty_cell": "비어 있는 커널 칸은 0으로 셉니다.",
    "presets": {
        "Edge [1, -1] (d2l)": "경계 [1, -1] (d2l)",
        "Edge [1, -1]ᵀ": "경계 [1, -1]ᵀ",
        "Sobel x": "소벨 x",
        "Sobel y": "소벨 y",
        "Laplacian": "라플라시안",
        "Blur (box 3×3)": "흐림 (박스 3×3)",
        "Sharpen": "선명하게",
        "Identity": "항등",
        "Custom…": "직접 입력…",
    },
}
