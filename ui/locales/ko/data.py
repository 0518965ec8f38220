"""Fashion-MNIST: cnnviz의 모든 네트워크가 학습하는 데이터셋."""

TEXT = {
    "title": "Fashion-MNIST 데이터셋",
    "lesson": "4.2, 7.6, 8.2, 8.6에서 사용",
    "intro": "옷 이미지로, 학습 이미지 6만 장과 테스트 이미지 1만 장, 28×28 회색조 픽셀, 열 가지 "
    "클래스입니다. d2l은 여기에 LeNet, VGG, ResNet을 학습시키고, cnnviz도 실제 파일로 "
    "똑같이 합니다.",
    "per_class": "클래스마다 보여 줄 샘플 수",
    "split": "분할",
    "splits": {
        "train": "학습",
        "test": "테스트",
    },
    "train_images": "학습 이미지",
    "test_images": "테스트 이미지",
    "per_class_count": "클래스마다 이미지 수",
    "read_from": "`{source}`에서 읽었습니다.",
}
