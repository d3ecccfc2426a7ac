// Package server is kubelab's HTTP server: the course pages, the kubectl
// console and YAML editor back ends, the websocket stream of each learner's
// cluster, the live grading of their labs and, in class mode, the
// instructors' classes and dashboards.
//
// One file per page or API family, each registering its own routes
// (xRoutes, called from server.go's routes). A handler of one class, its
// data, a learner's own page, a lab or a quiz gets it from a route adapter
// (forClass, forClassData, forLearner, forLab, forQuiz) that answers 404
// for anyone or anything else. Texts in both languages are text.Text; the
// fixed ones are web/i18n.yaml's (web.T, web.Text).
//
//   - server.go: configuration, the routes, host checks; errors.go: the one
//     answer to a request that failed on the server's side (logged under a
//     reference, never shown), panics included; render.go: pages, forms.
//   - Learner pages: home.go, lab.go, quiz.go; their JSON API: console.go,
//     apply.go, sandbox_api.go, labstatus.go, drills.go, history.go (api.go
//     holds the JSON helpers).
//   - The learner's live state: learner.go (the sandbox and its watcher),
//     grader.go (grading as the cluster changes), sandbox_notices.go,
//     pageless.go, warmup.go.
//   - Websockets: wspump.go is the one pump (send queue, write deadlines,
//     pings, reader) under both streams; ws.go is a page's stream of its
//     cluster, live.go the typed messages it carries besides objects
//     (verdicts, sandbox states, hints, their texts in both languages).
//   - Class mode: class.go (its state and routes, who owns a class:
//     forClass),
//     auth.go (sessions and authentication), activity.go (activity recorded
//     after authentication), login.go, device.go, password.go, ratelimit.go,
//     join.go, account.go (a learner's welcome, classes and resume links),
//     names.go, membership.go, classes.go (the class list), seats.go.
//   - The instructor's dashboard: dashboard.go (the page and its fragments),
//     classdata.go, heatmap.go, quizstats.go, results.go (CSV), and its
//     stream: dashboard_ws.go (snapshot), dashboard_hub.go (fan-out),
//     dashboard_publish.go (the messages, published by the handlers and
//     learner hooks that cause them); class_actions.go, student.go,
//     student_actions.go and hints.go are its actions and per-student pages.
package server
