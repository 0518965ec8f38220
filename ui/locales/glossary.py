"""The terms both catalogs are checked against (tests/test_i18n.py): English term → Korean.

The Korean terms are those of the d2l Korean edition and of the source notes
(``../shared/seed``): 교차상관, 커널, 패딩, 스트라이드, 풀링, 특성 맵, 배치 정규화, 잔차 연결…
Wherever an English string uses a term (outside `code` and {placeholders}), the Korean string
at the same key uses its Korean term. A longer term wins over a shorter one inside it
("max pooling" over "pooling", "gradient descent" over "gradient").
"""

GLOSSARY = {
    "cross-correlation": "교차상관",
    "convolution": "합성곱",
    "conv layer": "합성곱 층",
    "kernel": "커널",
    "padding": "패딩",
    "stride": "스트라이드",
    "dilation": "팽창",
    "pooling": "풀링",
    "max pooling": "최대 풀링",
    "average pooling": "평균 풀링",
    "global average pooling": "전역 평균 풀링",
    "feature map": "특성 맵",
    "channel": "채널",
    "batch norm": "배치 정규화",
    "batch normalization": "배치 정규화",
    "batch normalisation": "배치 정규화",
    "skip connection": "잔차 연결",
    "residual connection": "잔차 연결",
    "activation": "활성화",
    "activation function": "활성화 함수",
    "learning rate": "학습률",
    "epoch": "에포크",
    "validation accuracy": "검증 정확도",
    "val acc": "검증 정확도",
    "accuracy": "정확도",
    "loss": "손실",
    "overfitting": "과적합",
    "gradient descent": "경사 하강법",
    "vanishing gradient": "기울기 소실",
    "weight": "가중치",
    "parameter": "파라미터",
    "fully connected": "완전 연결",
    "dense layer": "완전 연결 층",
    "translation equivariance": "이동 등변성",
    "confusion matrix": "혼동 행렬",
    "ablation": "어블레이션",
    "batch size": "배치 크기",
    "dropout": "드롭아웃",
    "sigmoid": "시그모이드",
    "test image": "테스트 이미지",
    "feature": "특성",
    "singular value": "특잇값",
    "output shape": "출력 모양",
    "multiply-add": "곱셈-덧셈",
}
