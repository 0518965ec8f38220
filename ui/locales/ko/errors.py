"""라이브러리 메시지의 한국어 번역 (키별; cnnviz.errors.KeyedError, KeyedText)."""

TEXT = {
    "image.no_pixels": "“{name}”에는 픽셀이 없습니다 ({w}×{h}).",
    "image.aspect": "“{name}”은(는) {w}×{h} 픽셀로, 한쪽이 다른 쪽보다 {ratio}배 깁니다. 가로세로 "
    "비율 {most}:1까지 받습니다. 이미지를 잘라 주세요.",
    "image.png_pixels": "“{name}”은(는) {w}×{h} 픽셀입니다. {most}메가픽셀이 넘는 PNG는 "
    "디코딩하지 않습니다. 더 작은 이미지를 올려 주세요.",
    "image.memory_png": "“{name}”은(는) {w}×{h} 픽셀의 {mode} PNG입니다: 디코딩에 {mb} MB가 "
    "필요합니다 (최대 {most} MB). 더 작은 이미지를 올려 주세요 (사진이라면 "
    "베이스라인 JPEG도 됩니다).",
    "image.memory_jpeg": "“{name}”은(는) {w}×{h} 픽셀의 프로그레시브 JPEG입니다: 디코딩에 {mb} "
    "MB가 필요합니다 (최대 {most} MB). 더 작은 이미지를 올려 주세요 "
    "(사진이라면 베이스라인 JPEG도 됩니다).",
    "image.empty": "“{name}”은(는) 비어 있습니다.",
    "image.upload_size": "“{name}”은(는) {mb} MB입니다. 업로드는 {most} MB까지입니다.",
    "image.format": "“{name}”은(는) {format} 파일입니다. PNG나 JPEG를 올려 주세요.",
    "image.bomb": "“{name}”은(는) 안전하게 디코딩하기에는 너무 큽니다 ({detail}).",
    "image.unreadable": "“{name}”은(는) cnnviz가 읽을 수 있는 이미지 (PNG나 JPEG)가 아닙니다.",
    "image.no_memory": "“{name}”은(는) 여기서 디코딩하기에는 너무 큽니다.",
    "image.damaged": "“{name}”은(는) 손상된 것 같아 디코딩하지 못했습니다 ({detail}).",
    "note.exif_damaged": "EXIF 데이터가 손상되어 방향 정보를 무시했습니다",
    "note.mpo": "휴대폰의 다중 사진 JPEG (MPO, 사진 {n}장): 첫 번째 사진을 씁니다",
    "note.animated": "프레임 {n}개짜리 움직이는 이미지: 첫 번째 프레임을 씁니다",
    "note.16bit": "16비트 이미지: 0..1로 맞췄습니다",
    "note.alpha": "투명한 부분은 흰 배경 위에 놓았습니다",
    "note.upright": "바로 세웠습니다 (EXIF 방향 값 {n})",
    "note.downscaled": "{w}×{h}에서 {side}×{side}에 맞게 줄였습니다",
    "limit.user_queue": "대기 중인 실행이 {n}개 있습니다. 학생은 한 번에 {most}개까지 대기시킬 수 "
    "있습니다. 하나를 중지하거나 시작될 때까지 기다리세요.",
    "limit.address_queue": "같은 네트워크 주소의 학생들이 대기시킨 실행이 {n}개 있습니다. 함께 "
    "{most}개까지 대기시킬 수 있습니다. 몇 개가 시작될 때까지 기다리세요.",
    "limit.class_queue": "반 전체 대기열이 가득 찼습니다 (대기 중 {n}개, 최대 {most}개). 몇 개가 "
    "시작된 뒤에 다시 시도하세요.",
    "limit.too_long": "이 실행은 이 {device}에서 약 {min}분 걸립니다 (학생은 {most}분까지의 "
    "실행만 시작할 수 있습니다). 학습 예제나 에포크 수를 줄이거나 입력을 작게 "
    "하세요. 전체 크기 실행은 교사가 시작할 수 있습니다.",
    "store.busy": "실행 저장소가 사용 중입니다: 다른 프로그램이 {s}초 넘게 잡고 있습니다. "
    "아무것도 바뀌지 않았습니다; 잠시 후 다시 시도하세요.",
    "store.failed": "실행 저장소를 쓸 수 없었습니다 ({detail}). 아무것도 바뀌지 않았습니다; "
    "디스크 공간을 비우거나 폴더를 확인한 뒤 다시 시도하세요.",
    "checkpoint.unreadable": "가중치 파일 {file}을(를) 읽을 수 없습니다 ({detail}). 손상되었거나 "
    "safetensors 파일이 아닐 수 있습니다; 실행을 다시 학습시키면 되살릴 수 있습니다.",
    "snapshots.unreadable": "에포크별 스냅숏 파일 {file}을(를) 읽을 수 없습니다 ({detail}).",
    "kernel.too_big": "여기서는 {side}×{side}까지의 커널만 학습할 수 있습니다.",
    "kernel.not_finite": "커널에 NaN이나 무한대 값이 있습니다.",
    "kernel.too_long": "{n:,}자입니다. {side}×{side}까지의 커널은 {most:,}자 안에 들어갑니다.",
    "kernel.empty": "숫자로 된 행을 하나 이상 입력하세요.",
    "kernel.not_numbers": "커널에는 숫자만 넣을 수 있습니다 ({detail}).",
    "kernel.ragged": "커널의 모든 행에 값의 개수가 같아야 합니다.",
    "kernel.image_small": "이미지 ({H}×{W})가 커널 ({kh}×{kw})보다 작습니다.",
    "spec.whole": "{name}은(는) 정수여야 합니다 (받은 값 {value}).",
    "spec.range": "{name}은(는) {low}에서 {high} 사이여야 합니다 (받은 값 {value}).",
    "spec.arch_empty": "{name}이(가) 비어 있습니다: ({what}, 채널 수) 행을 하나 이상 추가하세요.",
    "spec.arch_long": "{name}에 행이 {n}개 있습니다. 최대 {most}개까지 됩니다.",
    "spec.arch_row": "{name}의 {i}번째 행은 ({what}, 채널 수)여야 합니다 (받은 값 {row}).",
    "spec.shrink": "{stage} (창 {k}×{k}, 패딩 {p}, 스트라이드 {s})은(는) {c}×{n}×{n} 맵을 받아 "
    "입력 크기 {size}×{size}에서 {m}×{m}(으)로 줄이게 됩니다: 입력 크기를 키우거나 "
    "{hint}.",
    "spec.parameters": "이 네트워크는 파라미터가 {millions}M개가 됩니다 (한도 {most}M): 너비나 "
    "입력 크기를 줄이세요.",
    "spec.map": "{where}은(는) {c}×{h}×{w} 특성 맵을 만듭니다: 이미지 하나에 값 {millions}M개 "
    "({gb} GB)로, 한도 {most}M을 넘습니다: 채널 수나 입력 크기를 줄이세요.",
    "spec.fraction": "{name}은(는) 0 이상 {high} 미만이어야 합니다 (받은 값 {value}).",
    "spec.choice": "{name}은(는) {choices} 중 하나여야 합니다 (받은 값 {value}).",
    "spec.bool": "{name}은(는) `True`나 `False`여야 합니다 (받은 값 {value}).",
    "spec.tuple": "{name}은(는) {what} {count}개여야 합니다 (받은 값 {value}).",
    "spec.rows_empty": "{name}이(가) 비어 있습니다: 행을 하나 이상 추가하세요.",
    "spec.rows_row": "{name}의 {i}번째 행은 ({what})여야 합니다 (받은 값 {row}).",
    "spec.unbuildable": "이 네트워크는 만들 수 없습니다: {error}",
    "field.row": "{name}의 {i}번째 행: {what}",
    "field.row_channels": "{name}의 {i}번째 행: 채널 수",
    "field.channels": "{layer} 채널 수",
    "field.width": "{layer} 너비",
    "stage.vgg_pool": "VGG 블록 {i}의 최대 풀링",
    "stage.vgg_convs": "VGG 블록 {i}의 합성곱",
    "stage.stem": "스템의 합성곱",
    "stage.resnet": "ResNet 단계 {i}",
    "hint.stages": "단계를 줄이세요",
    "hint.lenet": "kernel_size를 줄이거나 패딩을 늘리세요",
    "hint.vgg": "블록을 줄이세요 (블록마다 맵이 절반이 됩니다)",
    "insight.too_small": "이미지가 {shape}입니다: 분류하기에는 너무 작습니다.",
    "insight.not_finite": "이미지에 빠진 픽셀 (NaN이나 무한대)이 있습니다.",
    "insight.blank": "이미지가 비어 있습니다: 모든 픽셀이 {value:.2f}입니다. 먼저 옷을 그리거나, "
    "올리거나, 고르세요.",
    "insight.mismatch": "가중치가 이 실행이 설명하는 네트워크의 것이 아닙니다 ({detail}).",
    "insight.queued": "“{name}”은(는) 학습을 기다리고 있습니다: 끝난 뒤에 다시 오세요.",
    "insight.running": "“{name}”은(는) 아직 학습 중입니다 ({n} 에포크 중 {done} 완료): 끝나거나 "
    "중지된 뒤에 네트워크에게 물어볼 수 있습니다.",
    "insight.no_epoch": "“{name}”은(는) {why}{detail}: 아직 저장된 가중치가 없습니다. 적어도 "
    "한 에포크 학습시키거나, 다른 실행을 고르세요.",
    "insight.no_file": "“{name}”에는 저장된 가중치가 없습니다 ({file}이(가) 없음): 적어도 한 "
    "에포크 다시 학습시키거나, 학습 실행 페이지에서 그 .safetensors 파일을 가져오거나, 다른 "
    "실행을 고르세요.",
    "insight.no_weights": "“{name}”에는 아직 저장된 가중치가 없습니다: 적어도 한 에포크 "
    "학습시키거나, 학습 실행 페이지에서 그 .safetensors 파일을 가져오거나, 다른 실행을 "
    "고르세요.",
    "insight.damaged": "“{name}”의 저장된 가중치를 읽을 수 없습니다 ({file}이(가) 손상되었거나 "
    "이 실행의 것이 아님): 적어도 한 에포크 다시 학습시키거나, 다른 실행을 고르세요.",
    "insight.damaged_evaluation": "저장된 평가가 손상되었습니다 ({detail}).",
    "insight.eval_version": "알 수 없는 평가 버전 {version}입니다.",
    "insight.counts": "두 행렬이 센 테스트 이미지 수가 다릅니다 ({a:,}장과 {b:,}장): 같은 "
    "이미지로 실행을 비교하세요.",
    "why.stopped": "첫 에포크가 끝나기 전에 중지되었습니다",
    "why.failed": "첫 에포크가 끝나기 전에 실패했습니다",
    "why.interrupted": "첫 에포크가 끝나기 전에 중단되었습니다",
    "why.none": "끝난 에포크가 없습니다",
    "step.grey_rgb": "회색조: 빨강, 초록, 파랑 채널의 평균",
    "step.alpha": "알파 채널은 무시했습니다",
    "step.grey_n": "회색조: {c}개 채널의 평균",
    "step.clipped": "0…1로 잘랐습니다",
    "step.levels": "밝기 범위를 늘렸습니다: 배경 {bg:.2f} → 0, 가장 밝은 곳 {top:.2f} → 1",
    "step.framed_already": "맞추기: 물건이 이미 정사각형 틀을 채웁니다",
    "step.framed": "Fashion-MNIST가 물건을 맞추듯 맞췄습니다: 물건에 맞춰 자르고 ({item}, 위치 x "
    "{x}, y {y}) 검은 {square} 정사각형의 가운데에 놓아, 긴 쪽이 틀을 채우게 "
    "했습니다",
    "step.inverted": "반전: 밝은 배경 → 검정 (테두리의 {share:.0%}가 밝았습니다); Fashion-MNIST는 "
    "검정 위의 밝은 물건을 보여 줍니다",
    "step.polarity": "밝기 방향 유지: Fashion-MNIST처럼 배경이 이미 어둡습니다",
    "step.how_shrink": "쌍선형, 안티에일리어싱",
    "step.how_grow": "쌍선형, 학습 때처럼",
    "step.stretched": ", 정사각형으로 늘림",
    "step.resized": "{old} → {new}로 크기 조정 ({how}{stretched}): 실행의 입력 크기",
    "step.kept": "{new} 그대로, 실행의 입력 크기",
    "step.repeated": "회색조를 채널 {c}개에 반복했습니다",
    "ablation.seeds": "각 변형은 1번에서 {most}번까지 되풀이할 수 있습니다 (시드 수): "
    "{got}은(는) 안 됩니다.",
    "ablation.two_values": "비교할 값을 두 개 이상 고르세요.",
    "ops.too_big": "커널 {what} {k}{dil}이(가) 패딩한 입력 {what} {n} + 2·{p} = {total}보다 "
    "큽니다: 창이 하나도 들어가지 않아 출력이 비게 됩니다. 커널이나 팽창을 "
    "줄이거나, 패딩을 늘리세요.",
    "ops.dilated": " ({d}만큼 팽창: {span}칸에 걸침)",
    "ops.pool_padding": "패딩 = {p}이(가) 풀링 창의 절반 ({k} // 2 = {half})보다 큽니다: "
    "PyTorch는 패딩 ≤ kernel_size / 2를 요구합니다. 그렇지 않으면 창 하나가 "
    "패딩만 담을 수 있기 때문입니다.",
    "ops.pool_padding_axis": "패딩 ({axis}) = {p}이(가) 풀링 창의 {axis} 절반 ({k} // 2 = "
    "{half})보다 큽니다: PyTorch는 패딩 ≤ kernel_size / 2를 요구합니다. "
    "그렇지 않으면 창 하나가 패딩만 담을 수 있기 때문입니다.",
    "ops.avg_dilation": "PyTorch의 평균 풀링에는 팽창이 없습니다 (nn.AvgPool2d, F.avg_pool2d): "
    "팽창을 1로 두세요.",
    "axis.height": "높이",
    "axis.width": "너비",
    "axis.size": "크기",
    "runfile.short": "“{name}”은(는) safetensors 파일이 아닙니다 (길이가 {n}바이트입니다).",
    "runfile.header_length": "“{name}”은(는) safetensors 파일이 아닙니다 (헤더 길이가 파일에 맞지 "
    "않습니다).",
    "runfile.not_json": "“{name}”은(는) safetensors 파일이 아닙니다 (헤더가 올바른 JSON이 "
    "아닙니다: {detail}).",
    "runfile.newer": "“{name}”은(는) 더 새로운 cnnviz에서 왔습니다 (실행 파일 버전 {version}). "
    "가져오려면 cnnviz를 업데이트하세요.",
    "runfile.description": "“{name}”의 실행 설명이 손상되었습니다 ({detail}).",
    "runfile.no_run": "“{name}”에는 가중치는 있지만 cnnviz 실행이 없습니다: 학습 실행 페이지의 "
    "“가중치 (.safetensors)” 버튼으로 받은 파일 (또는 실행 저장소의 `checkpoints` "
    "폴더에 있는 파일)만 가져올 수 있습니다.",
    "runfile.mismatch": "“{name}”의 가중치가 그 파일이 설명하는 {family} 네트워크에 맞지 않습니다 "
    "(빠짐 {missing}개, 예상 밖 {extra}개, 모양이나 형식이 틀림 {wrong}개; 첫 "
    "번째: {first}).",
    "runfile.cut_short": "“{name}”의 가중치가 파일 끝보다 {n:,}바이트 뒤에서 끝납니다: 파일이 "
    "잘렸습니다.",
    "access.hidden": "실행 {run_id}은(는) 다른 학생의 것이고, 교사가 링크로 다른 학생의 실행을 "
    "여는 기능을 꺼 두었습니다.",
    "access.control": "실행 {run_id}은(는) 다른 학생의 것입니다: 중지하거나 삭제하는 것은 "
    "주인이나 교사만 할 수 있습니다.",
    "access.teacher": "교사만 할 수 있습니다.",
    "access.seat": "다른 학생의 자리입니다.",
    "access.spotlight": "교사의 스포트라이트가 다른 학생의 실행을 보여 주고 있습니다.",
    "experiment.bad_value": "“{value}”은(는) {low}부터 {high}까지의 {field} 값이 아닙니다.",
    "experiment.values": "실험은 값 2개에서 {most}개까지 비교합니다. {n}개가 주어졌습니다.",
    "experiment.preset": "알 수 없는 프리셋 “{preset}”입니다.",
    "experiment.field": "{preset}에는 바꿀 수 있는 “{field}” 필드가 없습니다.",
    "experiment.size": "알 수 없는 크기 “{mode}”입니다.",
    "experiment.bad_choice": "“{value}”은(는) {field}의 값이 아닙니다.",
    "experiment.invalid": "{error}",
    "experiment.handout": "알 수 없는 값 나눠 주기 방식 “{handout}”입니다.",
    "experiment.full": "전체 크기 실행에는 GPU나 Ray 클러스터, 그리고 교사의 허락이 필요합니다. "
    "빠르게 보기나 CPU 교실 크기를 고르세요.",
    "experiment.spotlight": "알 수 없는 스포트라이트 “{kind}”입니다.",
    "experiment.no_run": "이 자리에는 아직 보여 줄 실행이 없습니다.",
    "experiment.missing": "수업 실험 {id}이(가) 없습니다.",
    "experiment.no_pick": "값은 교사가 나눠 줍니다.",
    "experiment.missing_value": "그런 값이 없습니다.",
    "experiment.set": "실행이 시작되어 값이 정해졌습니다.",
    "experiment.ended": "교사가 이 실험을 끝냈습니다.",
    "experiment.pick_first": "먼저 값을 고르세요.",
    "experiment.started": "실행이 이미 시작되었습니다.",
    "limit.imports": "가져온 실행을 이미 {most}개 가지고 있습니다(학생의 최대치). 다른 실행을 "
    "가져오려면 하나를 삭제하세요.",
    "secret.short": "교사 비밀(CNNVIZ_TEACHER_SECRET)이 {n}자입니다. 최소 {most}자가 필요합니다. "
    "더 길어질 때까지 교사 역할은 꺼져 있습니다.",
    "secret.guesses": "교사 비밀을 너무 많이 틀렸습니다. {s}초 뒤에 다시 시도하세요.",
    "class.pseudonym": "학생 {n}",
    "class.name_empty": "교사에게 보일 이름을 입력하세요.",
    "class.name_long": "이름이 {n}자입니다. 이름은 최대 {most}자까지 쓸 수 있습니다.",
    "class.bad_code": "열린 수업의 코드와 맞지 않습니다. 프로젝터에 보이는 코드를 확인하세요.",
    "class.none_open": "지금 열린 수업이 없습니다. cnnviz는 수업 없이도 쓸 수 있습니다. 교사에게 "
    "수업을 열어 달라고 하세요.",
    "class.name_busy": "“{name}”은(는) 다른 브라우저에서 쓰고 있습니다. 여러분의 이름이라면(쿠키를 "
    "지웠거나 브라우저를 바꿨다면) {s}초 뒤에 다시 시도하고, 아니라면 다른 이름을 고르세요.",
    "class.seat_key": "“{name}”은(는) 이미 쓰이고 있습니다. 여러분의 자리라면 자리 키(참여한 뒤 "
    "수업 페이지에 표시됨)를 입력해 되찾으세요. 아니라면 다른 이름을 고르세요.",
    "class.name_taken": "“{name}”은(는) 이 수업에서 이미 쓰고 있습니다. 다른 이름을 고르세요.",
    "class.seat_rate": "최근 여러분의 네트워크 주소에서 자리가 너무 많이 만들어졌습니다({min}분에 "
    "최대 {most}개). {s}초 뒤에 다시 시도하거나 교사에게 문의하세요.",
    "class.join_first": "수업이 열려 있습니다. 실행을 시작하기 전에 프로젝터의 코드로 수업에 "
    "참여하세요(수업 페이지).",
}
