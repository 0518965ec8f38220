"""풀링 (d2l 7.5)."""

TEXT = {
    "title": "풀링",
    "intro": "풀링 창은 커널처럼 미끄러지지만 가중치가 없습니다: 덮은 값의 최댓값이나 평균을 "
    "취합니다. 맵을 줄이고, 특성이 정확히 어디에 있는지에 층이 덜 민감하게 만듭니다. "
    "풀링은 채널마다 따로 작동합니다 (마지막 두 차원에만).",
    "seed": "1. 원본 노트의 출력, 지금 계산한 것",
    "table": "nn.MaxPool2d의 파라미터 (원본 노트의 정리)",
    "try": "2. 모든 파라미터, 그리고 어느 픽셀이 뽑혔는지",
    "no_indices": "return_indices를 켜면 각 창에서 어느 입력 픽셀이 뽑혔는지 볼 수 있습니다.",
    "shift": "3. 풀링은 작은 이동을 견디지만, 합성곱은 그렇지 않습니다",
    "mean_help": "맵 전체의 평균 |변화|를 원래 값의 최대 |값|으로 나눈 것",
    "shift_help": "이미지가 오른쪽으로 몇 픽셀 움직입니다 (경계 열이 반복됩니다). 합성곱 출력은 "
    "이미지를 따라 움직이므로 대부분의 칸이 바뀝니다. 최대 풀링 (스트라이드 1, "
    "d2l의 pool2d처럼) 뒤에는 창의 최댓값이 창 안에서 자리만 옮기는 경우가 많아, "
    "칸의 값이 그대로 남습니다.",
    "lesson": "7.5",
    "columns": {
        "parameter": "파라미터",
        "default": "기본값",
        "meaning": "뜻",
    },
    "param_defaults": {
        "required": "필수",
    },
    "param_meanings": {
        "kernel_size": "풀링 창의 크기",
        "stride": "창이 입력을 가로질러 이동하는 간격",
        "padding": "각 가장자리에 더하는 -inf (최대 풀링); 최대 kernel_size // 2",
        "dilation": "창 안 원소 사이의 간격 (최대 풀링에만)",
        "return_indices": "각 최댓값이 어디에서 왔는지도 돌려줌",
        "ceil_mode": "출력 크기를 내림 대신 올림으로 계산",
    },
    "seed_names": {
        "max 2×2 on 0..8": "0..8에 최대 2×2",
        "avg 2×2 on 0..8": "0..8에 평균 2×2",
    },
    "input": "입력",
    "inputs": {
        "arange": "arange(16) 4×4 (d2l 7.5)",
        "picker": "이미지 선택기",
    },
    "mode": "방식",
    "kernel_size": "창 크기 (`kernel_size`)",
    "stride_default": "스트라이드 = 창 크기 (`stride = kernel_size`, torch의 기본값)",
    "stride": "스트라이드 (`stride`)",
    "padding": "패딩 (`padding`)",
    "dilation": "팽창 (`dilation`)",
    "ceil_mode": "올림 (`ceil_mode`)",
    "return_indices": "위치 돌려주기 (`return_indices`)",
    "out_shape": "출력 모양",
    "out_sum": "출력의 합",
    "loop_help": "d2l의 pool2d 루프 (cnnviz.ops) 대 torch",
    "winners": "입력: 뽑힌 픽셀에 테두리",
    "input_title": "입력",
    "output_title": "{mode} 풀링 출력",
    "indices": "indices (너비 {w}인 입력에서의 평탄화한 위치)",
    "too_small_input": "줄무늬 6×8 (4×4 입력은 여기에 너무 작습니다)",
    "kernel": "커널",
    "shift_by": "오른쪽으로 이동 (픽셀)",
    "window": "최대 풀링 창",
    "too_small": "이 입력은 그 커널과 창에 너무 작습니다.",
    "input_caption": "입력: {label}",
    "conv_changed": "합성곱: 바뀐 칸",
    "pooled_changed": "풀링 뒤: 바뀐 칸",
    "pooled_help": "최대 풀링한 합성곱 출력",
    "conv_change": "합성곱: 평균 변화",
    "pooled_change": "풀링 뒤: 평균 변화",
    "t_shifted": "conv({dx}만큼 옮긴 X)",
    "t_pool_shifted": "maxpool(conv({dx}만큼 옮긴 X))",
}
