// Tiny i18n: t(key, params, lang) with Korean ('ko', the default) and English ('en').
// The page language is <html lang="...">; params fill {name} placeholders.

const S = {
  // status, connection, sandbox
  'st.passed': ['통과', 'Passed'],
  'st.failed': ['아직 아님', 'Not yet'],
  'st.changed': ['앞서 통과했습니다. 그 뒤로 클러스터가 바뀌었습니다.', 'passed earlier; the cluster has changed since'],
  'conn.connecting': ['연결 중…', 'Connecting…'],
  'conn.open': ['실시간 연결됨', 'Live'],
  'conn.reconnecting': ['연결 끊김, 다시 연결 중…', 'Disconnected, reconnecting…'],
  'conn.closed': ['연결 종료', 'Disconnected'],
  'sb.starting': ['클러스터 준비 중…', 'Cluster starting…'],
  'sb.ready': ['클러스터 준비됨', 'Cluster ready'],
  'sb.stopped': ['클러스터 멈춤', 'Cluster stopped'],
  'sb.failed': ['클러스터 오류', 'Cluster failed'],
  'sb.frozen': ['클러스터 일시 정지', 'Cluster paused'],
  // cluster map
  'cm.summary': ['노드 {nodes}개, Pod {pods}개', '{nodes} nodes, {pods} pods'],
  'cm.queue': ['스케줄 대기열 (노드 미배정)', 'Scheduling queue (no node yet)'],
  'cm.noNodes': ['아직 노드가 없습니다', 'No nodes yet'],
  'cm.noZone': ['영역 없음', 'no zone'],
  'cm.notReady': ['준비 안 됨', 'NotReady'],
  'cm.cordoned': ['스케줄 불가', 'cordoned'],
  'cm.pods': ['Pod', 'Pods'],
  'cm.mem': ['메모리', 'Memory'],
  // failure drills
  'dr.help': ['노드의 kubelet을 멈추거나 영역 전체를 멈춰 보세요. 노드는 약 40초 뒤 NotReady가 되고, 그 노드의 Pod는 30초 더 지나 다른 노드로 옮겨집니다.', 'Stop a node\'s kubelet or a whole zone. The node turns NotReady after about 40 s; its Pods move to other nodes 30 s later.'],
  'dr.zoneFail': ['영역 장애', 'Fail zone'],
  'dr.zoneRecover': ['영역 복구', 'Recover zone'],
  'dr.stop': ['kubelet 멈추기', 'Stop kubelet'],
  'dr.start': ['kubelet 켜기', 'Start kubelet'],
  'dr.cordon': ['cordon', 'Cordon'],
  'dr.uncordon': ['uncordon', 'Uncordon'],
  'dr.drain': ['drain', 'Drain'],
  'dr.ready': ['Ready', 'Ready'],
  'dr.notReady': ['NotReady', 'NotReady'],
  'dr.kubeletStopping': ['kubelet 멈춤, 아직 Ready로 보임 (노드 컨트롤러가 기다리는 중)', 'kubelet stopped, still shown Ready (the node controller is waiting)'],
  'dr.kubeletStopped': ['kubelet 멈춤 · NotReady', 'kubelet stopped · NotReady'],
  'dr.evicting': ['Pod {n}개를 내보내는 중입니다.', 'Evicting {n} Pod(s).'],
  'dr.done': ['요청했습니다. 클러스터가 반응하는 모습을 다이어그램에서 보세요.', 'Done. Watch the cluster react in the diagrams.'],
  // control loop
  'cl.none': ['보여줄 Deployment가 아직 없습니다', 'No Deployment to show yet'],
  'cl.desired': ['원하는 상태: replicas {n}', 'Desired: replicas {n}'],
  'cl.current': ['현재 상태: 준비된 Pod {n}', 'Current: {n} ready pods'],
  'cl.observe': ['관찰', 'observe'],
  'cl.diff': ['비교', 'diff'],
  'cl.act': ['조치', 'act'],
  'cl.sync': ['일치', 'in sync'],
  'cl.syncText': ['원하는 상태와 현재 상태가 같습니다. 컨트롤러는 지켜보기만 합니다.', 'Desired and current state match. The controller just keeps watching.'],
  'cl.more': ['Pod {n}개가 모자랍니다. 컨트롤러가 Pod를 만들고 준비되기를 기다립니다.', '{n} pod(s) short. The controller creates pods and waits for them to be ready.'],
  'cl.less': ['Pod {n}개가 많습니다. 컨트롤러가 Pod를 지웁니다.', '{n} pod(s) too many. The controller deletes pods.'],
  'cl.wait': ['Pod 수는 맞지만 아직 준비되지 않은 Pod가 있습니다.', 'The pod count is right but some pods are not ready yet.'],
  // service routing
  'sr.none': ['보여줄 Service가 아직 없습니다', 'No Service to show yet'],
  'sr.client': ['클라이언트', 'client'],
  'sr.selector': ['셀렉터', 'selector'],
  'sr.noSelector': ['셀렉터 없음', 'no selector'],
  'sr.eps': ['엔드포인트 {n}개 (준비됨 {r})', '{n} endpoints ({r} ready)'],
  'sr.ready': ['준비됨: 트래픽 받음', 'ready: gets traffic'],
  'sr.notReady': ['준비 안 됨: 트래픽 없음', 'not ready: no traffic'],
  'sr.noMatch': ['셀렉터와 불일치', 'not selected'],
  'sr.pending': ['엔드포인트 대기', 'no endpoint yet'],
  'sr.noPods': ['셀렉터와 일치하는 Pod가 없습니다', 'No pod matches the selector'],
  // rolling update
  'ru.none': ['보여줄 Deployment가 아직 없습니다', 'No Deployment to show yet'],
  'ru.rev': ['리비전 {n}', 'revision {n}'],
  'ru.new': ['새 버전', 'new'],
  'ru.old': ['이전 버전', 'old'],
  'ru.counts': ['원하는 {d} · 준비 {r}', 'desired {d} · ready {r}'],
  'ru.strategy': ['maxSurge {s} · maxUnavailable {u}: Pod는 최대 {max}개, 준비된 Pod는 최소 {min}개', 'maxSurge {s} · maxUnavailable {u}: at most {max} pods, at least {min} ready'],
  'ru.status': ['replicas {d} · 업데이트됨 {u} · 준비 {r}', 'replicas {d} · updated {u} · ready {r}'],
  'ru.older': ['이전 ReplicaSet {n}개 더', '{n} older ReplicaSet(s)'],
  // history scrubber
  'hs.title': ['클러스터 기록: 시각 고르기', 'Cluster history: pick a moment'],
  'hs.play': ['▶ 재생', '▶ Play'],
  'hs.pause': ['❚❚ 멈춤', '❚❚ Pause'],
  'hs.speed': ['재생 속도', 'Playback speed'],
  'hs.live': ['실시간', 'Live'],
  'hs.isLive': ['지금 클러스터를 보고 있습니다. 막대를 끌면 지난 시각의 클러스터를 봅니다.', 'Showing the cluster now: drag the bar to see it as it was.'],
  'hs.at': ['{time}의 클러스터 (기록)', 'The cluster at {time} (recorded)'],
  'hs.compare': ['지금과 비교', 'Compare with now'],
  'hs.diff': ['{time}부터 지금까지: 생김 {added}, 사라짐 {removed}, 바뀜 {changed}', 'From {time} to now: {added} added, {removed} removed, {changed} changed'],
  'hs.empty': ['아직 기록이 없습니다.', 'Nothing recorded yet.'],
  // why here / why not
  'wh.none': ['스케줄러의 기록이 있는 Pod가 아직 없습니다. 이 기록은 kubelab의 내장 샌드박스만 남깁니다.', 'No pod has a scheduler record yet. Only kubelab\'s embedded sandbox keeps one.'],
  'wh.title': ['Pod {pod}가 이 노드에 간 이유', 'Why pod {pod} went where it is'],
  'wh.titleNot': ['Pod {pod}를 받을 노드가 없는 이유', 'Why no node takes pod {pod}'],
  'wh.placed': ['{node}에 배치됨: 필터를 통과한 노드 {n}/{total}개 중 점수가 가장 높았습니다.', 'Placed on {node}: the highest score among the {n} of {total} nodes that passed the filters.'],
  'wh.placedOnly': ['{node}에 배치됨: 노드 {total}개 중 필터를 통과한 유일한 노드라 점수를 매기지 않았습니다.', 'Placed on {node}: the only one of {total} nodes that passed the filters, so nothing was scored.'],
  'wh.nowhere': ['노드 {total}개 모두 필터에서 걸러졌습니다. 행마다 어떤 플러그인이 왜 거절했는지 보세요.', 'All {total} nodes were filtered out: each row says which plugin rejected it and why.'],
  'wh.node': ['노드', 'Node'],
  'wh.why': ['판정', 'Verdict'],
  'wh.total': ['합계', 'Total'],
  'wh.chosen': ['선택됨', 'chosen'],
  'wh.ok': ['모든 필터 통과', 'passed every filter'],
  'wh.c.pass': ['통과', 'passed'],
  'wh.c.skip': ['검사할 것 없음', 'nothing to check'],
  'wh.c.fail': ['거절', 'rejected'],
  'wh.c.notRun': ['실행 안 됨 (앞선 필터가 이미 거절)', 'not run (an earlier filter rejected the node)'],
  'wh.scoreNote': ['점수: 플러그인마다 0-100으로 정규화한 값. 노드는 점수×가중치의 합(합계)이 가장 큰 곳으로 갑니다.', 'Scores: each plugin\'s score normalized to 0-100; the pod goes to the node with the highest sum of score × weight (Total).'],
  'wh.suggest': ['이렇게 바꾸면 배치됩니다 (필터로 다시 확인함)', 'Changes that would place it (checked against the filters)'],
  'wh.podNote': ['Pod의 spec은 제자리에서 바꿀 수 없습니다. Pod를 지우고 이 변경을 넣어 다시 만드세요 (strategic merge patch):', 'A Pod\'s spec cannot change in place: delete the pod and create it again with this change (strategic merge patch):'],
  'wh.run': ['실행', 'Run'],
  'wh.copy': ['복사', 'Copy'],
  // why pending
  'wp.none': ['Pending 상태로 스케줄을 기다리는 Pod가 없습니다.', 'No pod is Pending for the scheduler.'],
  'wp.title': ['Pod {pod}가 Pending인 이유', 'Why pod {pod} is Pending'],
  'wp.avail': ['노드 {total}개 중 이 Pod를 받을 수 있는 노드: {avail}개', 'Nodes that can take this pod: {avail} of {total}'],
  'wp.raw': ['스케줄러 메시지', 'Scheduler message'],
  'wp.noReason': ['스케줄러가 아직 이유를 알려주지 않았습니다.', 'The scheduler has not given a reason yet.'],
  'wp.taint': ['노드 {n}개에 Pod가 허용(toleration)하지 않는 taint {d}가 있습니다.', '{n} node(s) have a taint {d} that the pod does not tolerate.'],
  'wp.cpu': ['노드 {n}개에 Pod가 요청한(requests) CPU만큼 남은 CPU가 없습니다.', '{n} node(s) lack the free CPU the pod requests.'],
  'wp.memory': ['노드 {n}개에 Pod가 요청한(requests) 메모리만큼 남은 메모리가 없습니다.', '{n} node(s) lack the free memory the pod requests.'],
  'wp.pods': ['노드 {n}개가 이미 최대 Pod 수만큼 Pod를 실행 중입니다.', '{n} node(s) already run their maximum number of pods.'],
  'wp.nodeAffinity': ['노드 {n}개가 Pod의 노드 어피니티/nodeSelector 조건에 맞지 않습니다.', '{n} node(s) do not match the pod\'s node affinity or nodeSelector.'],
  'wp.podAffinity': ['노드 {n}개가 Pod 어피니티 규칙에 맞지 않습니다.', '{n} node(s) do not match the pod affinity rules.'],
  'wp.antiAffinity': ['노드 {n}개가 Pod 안티 어피니티 규칙에 걸립니다.', '{n} node(s) break the pod anti-affinity rules.'],
  'wp.volumeZone': ['노드 {n}개가 Pod의 볼륨과 다른 가용 영역에 있습니다.', '{n} node(s) are in another zone than the pod\'s volume.'],
  'wp.unschedulable': ['노드 {n}개가 스케줄 불가(cordon) 상태입니다.', '{n} node(s) are cordoned (unschedulable).'],
  'wp.notReady': ['노드 {n}개가 준비(Ready) 상태가 아닙니다.', '{n} node(s) are not Ready.'],
  'wp.ports': ['노드 {n}개에서 Pod가 원하는 호스트 포트가 이미 쓰이고 있습니다.', '{n} node(s) already use the host port the pod wants.'],
  'wp.pvc': ['Pod의 PersistentVolumeClaim이 아직 볼륨에 바인딩되지 않았습니다.', 'The pod\'s PersistentVolumeClaim is not bound to a volume yet.'],
  'wp.noNodes': ['스케줄할 수 있는 노드가 하나도 없습니다.', 'There are no nodes to schedule on.'],
  'wp.other': ['노드 {n}개: {d}', '{n} node(s): {d}'],
  'wp.nodeOk': ['받을 수 있음', 'could take it'],
  'wp.nodeUnknown': ['위 이유 중 하나', 'one of the reasons above'],
  'wp.n.taint': ['taint {d}', 'taint {d}'],
  'wp.n.cpu': ['CPU 부족 (남은 {free}, 요청 {req})', 'not enough CPU (free {free}, asks {req})'],
  'wp.n.memory': ['메모리 부족 (남은 {free}, 요청 {req})', 'not enough memory (free {free}, asks {req})'],
  'wp.n.pods': ['Pod 수 한도 도달', 'pod limit reached'],
  'wp.n.unschedulable': ['cordon 됨', 'cordoned'],
  'wp.n.notReady': ['준비 안 됨', 'not Ready'],
  'wp.n.guess': ['아마도: {d}', 'probably: {d}'],
  'wp.c.nodeAffinity': ['노드 어피니티', 'node affinity'],
  'wp.c.podAffinity': ['Pod 어피니티', 'pod affinity'],
  'wp.c.antiAffinity': ['Pod 안티 어피니티', 'pod anti-affinity'],
  'wp.c.volumeZone': ['볼륨의 영역이 다름', 'volume in another zone'],
  'wp.c.ports': ['호스트 포트 사용 중', 'host port in use'],
  'wp.c.other': ['기타', 'other'],
  // timeline
  'tl.none': ['아직 일어난 일이 없습니다.', 'Nothing has happened yet.'],
  'tl.more': ['오래된 이벤트 {n}개는 서버가 보내지 않아 여기에 없습니다.', '{n} older events are not shown: the server sends at most 500 of a kind.'],
  'tl.rsCreated': ['Deployment {dep} → ReplicaSet {rs} 생성 (리비전 {rev})', 'Deployment {dep} created ReplicaSet {rs} (revision {rev})'],
  'tl.podDep': ['Deployment {dep} → ReplicaSet {rs}: Pod {pod} 생성', 'Deployment {dep} -> ReplicaSet {rs} created pod {pod}'],
  'tl.podBy': ['{ok} {owner}: Pod {pod} 생성', '{ok} {owner} created pod {pod}'],
  'tl.pod': ['Pod {pod} 생성', 'pod {pod} created'],
  'tl.podGone': ['Pod {pod} 삭제됨', 'pod {pod} deleted'],
  'tl.scheduled': ['스케줄러가 Pod {pod}를 노드 {node}{zone}에 배치', 'scheduler put {pod} on node {node}{zone}'],
  'tl.failedSched': ['스케줄러가 Pod {pod}를 배치하지 못함: {msg}', 'scheduler could not place {pod}: {msg}'],
  'tl.scaled': ['Deployment {dep}: ReplicaSet {rs}를 {n}개로 {dir}', 'Deployment {dep} scaled ReplicaSet {rs} {dir} to {n}'],
  'tl.up': ['늘림', 'up'],
  'tl.down': ['줄임', 'down'],
  'tl.rsPod': ['{ok} {owner}: Pod {pod} 생성', '{ok} {owner} created pod {pod}'],
  'tl.rsDel': ['{ok} {owner}: Pod {pod} 삭제', '{ok} {owner} deleted pod {pod}'],
  'tl.pulling': ['kubelet: Pod {pod}의 이미지 받는 중', 'kubelet pulling the image for {pod}'],
  'tl.pulled': ['kubelet: Pod {pod}의 이미지 받음', 'kubelet pulled the image for {pod}'],
  'tl.created': ['kubelet: Pod {pod}의 컨테이너 생성', 'kubelet created the container of {pod}'],
  'tl.started': ['kubelet: Pod {pod}의 컨테이너 시작', 'kubelet started the container of {pod}'],
  'tl.killing': ['kubelet: Pod {pod}의 컨테이너 중지', 'kubelet stopped the container of {pod}'],
  'tl.backoff': ['kubelet: Pod {pod}의 컨테이너가 계속 실패해 재시작을 미룸', 'kubelet backs off restarting the failing container of {pod}'],
  'tl.epAdd': ['Service {svc}에 엔드포인트 {ep} 추가', 'endpoint {ep} added to Service {svc}'],
  'tl.epDel': ['Service {svc}에서 엔드포인트 {ep} 제거', 'endpoint {ep} removed from Service {svc}'],
  'tl.epReady': ['Service {svc}의 엔드포인트 {ep} 준비됨', 'endpoint {ep} of Service {svc} became ready'],
  'tl.epUnready': ['Service {svc}의 엔드포인트 {ep} 준비 안 됨', 'endpoint {ep} of Service {svc} became not ready'],
  'tl.event': ['{kind} {name}: {reason} {msg}', '{kind} {name}: {reason} {msg}'],
  // architecture
  'ar.cp': ['제어 영역', 'Control plane'],
  'ar.dp': ['데이터 영역', 'Data plane'],
  'ar.api': ['API 서버', 'API server'],
  'ar.etcd': ['etcd', 'etcd'],
  'ar.sched': ['스케줄러', 'scheduler'],
  'ar.cm': ['컨트롤러 매니저', 'controller manager'],
  'ar.ccm': ['클라우드 컨트롤러', 'cloud controller'],
  'ar.kubectl': ['kubectl (나)', 'kubectl (you)'],
  'ar.kubelet': ['kubelet', 'kubelet'],
  'ar.proxy': ['kube-proxy', 'kube-proxy'],
  'ar.runtime': ['컨테이너 런타임', 'container runtime'],
  'ar.node': ['노드', 'node'],
  'ar.more': ['외 노드 {n}개', '+{n} more nodes'],
  // console and editor
  'co.label': ['kubectl 명령', 'kubectl command'],
  'co.run': ['실행', 'Run'],
  'co.clear': ['지우기', 'Clear'],
  'co.exit': ['종료 코드 {n}', 'exit code {n}'],
  'co.fail': ['요청 실패: {msg}', 'Request failed: {msg}'],
  'co.copied': ['복사됨', 'Copied'],
  'ed.label': ['YAML 편집기', 'YAML editor'],
  'ed.dry': ['시험 적용 (dry run)', 'Dry run'],
  'ed.apply': ['적용', 'Apply'],
  'ed.line': ['{line}행', 'line {line}'],
  'ed.ok': ['오류 없음', 'No errors'],
  'ed.dryOk': ['시험 적용 성공: 클러스터는 바뀌지 않았습니다', 'Dry run passed: the cluster was not changed'],
  'ed.empty': ['YAML을 입력하세요', 'Type some YAML first'],
  // lab
  'lab.score': ['점수 {n}%', 'score {n}%'],
  'lab.loadFail': ['다이어그램을 불러오지 못했습니다', 'Could not load the diagram']
}

/** lang returns the page language of doc (this page by default): 'en' or 'ko' (default). */
export function lang (doc = globalThis.document) {
  const l = doc?.documentElement?.lang || ''
  return l.toLowerCase().startsWith('en') ? 'en' : 'ko'
}

/**
 * pick returns a server message's text in the page language (or l): the stream sends each text
 * in both languages, as <field>Ko and <field>En (docs/stream.md); a message with only <field>
 * gives that.
 */
export function pick (m, field, l) {
  return m?.[field + ((l || lang()) === 'en' ? 'En' : 'Ko')] || m?.[field] || ''
}

/** t returns the text for key in lang (page language by default), {placeholders} filled from params. */
export function t (key, params, l) {
  const e = S[key]
  let s = e ? e[(l || lang()) === 'en' ? 1 : 0] : key
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => params[k] ?? '')
  return s
}

/** has reports whether key is known. */
export const has = key => key in S
