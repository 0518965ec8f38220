"""교차상관 페이지와 패딩 페이지가 함께 쓰는 부분 (ui/conv.py)."""

TEXT = {
    "row": "출력 행 i",
    "col": "출력 열 j",
    "play": "재생 (모든 출력 칸을 차례로)",
    "click": "출력의 칸을 눌러 설명을 보거나, 행과 열을 입력하세요.",
    "window": "Y[{i}, {j}]를 만드는 창이 표시된 입력 X",
    "output": "출력 Y — 테두리 친 칸을 아래에서 설명합니다",
    "sum": "곱의 합",
    "sum_help": "표시된 곱들을 더한 값: 모든 곱을 같은 소수 자릿수로 표시합니다.",
    "rounded": "곱들을 소수 {d}자리로 반올림했습니다: 표시된 대로 더하면 {added}이고, 정확한 합 "
    "Y[{i}, {j}]를 반올림하면 {cell}입니다.",
    "cell": "출력 Y[{i}, {j}]",
    "expr": "**Y[{i}, {j}]** = {expr}",
    "step_titles": [
        "X의 창",
        "× 커널 K",
        "= X ⊙ K",
    ],
    "examples": {
        "— your own setting —": "— 직접 정한 설정 —",
        "kernel 3, padding 1 → 8×8": "커널 3, 패딩 1 → 8×8",
        "kernel (5, 3), padding (2, 1) → 8×8": "커널 (5, 3), 패딩 (2, 1) → 8×8",
        "kernel 3, padding 1, stride 2 → 4×4": "커널 3, 패딩 1, 스트라이드 2 → 4×4",
        "kernel (3, 5), padding (0, 1), stride (3, 4) → 2×2": "커널 (3, 5), 패딩 (0, 1), "
        "스트라이드 (3, 4) → 2×2",
    },
    "sliders": {
        "kernel": "커널",
        "padding": "패딩",
        "stride": "스트라이드",
        "dilation": "팽창",
    },
    "height": "높이",
    "width": "너비",
}
