// Package web renders kubelab's HTML pages: templ components fed by the plain view models in
// this file, the UI strings in i18n.yaml, and the lab Markdown renderer. The server fills the
// view models; the browser scripts under /assets/js/ find their mount points by the ids and
// data-attributes these pages carry (see LabPage).
package web

import "html/template"

// Page is what every page needs: the language, the viewer and the state of their sandbox.
type Page struct {
	// Lang is the page language, "ko" (the default) or "en".
	Lang string
	// Title is the page's own title (a lab or quiz title); the course title is added to it.
	Title string
	// Path is the request path with its query (e.g. "/labs/pods?step=create"); the language
	// switch and the sandbox reset form send it back as "back" so the server can return there.
	// Empty means "/".
	Path string
	// Mode is "local" (one learner on their own machine) or "class" (a server for a class).
	Mode string
	// UserName is the signed-in user's display name (shown in class mode).
	UserName string
	// Role is "learner" or "instructor".
	Role string
	// Backend is the sandbox backend: "embedded", "kind" or "remote".
	Backend string
	// RealContainers reports whether containers really run in the sandbox (kind, remote).
	// When false (embedded) the pages explain the simulated nodes.
	RealContainers bool
	// SandboxState is "starting", "ready", "stopped", "failed" or "" (no sandbox yet).
	SandboxState string
	// SandboxMessage is a detail for the state, e.g. why starting failed.
	SandboxMessage string
}

// Home is the course path page.
type Home struct {
	Page
	// Parts are the parts of the module in course order.
	Parts []Part
}

// Part is one part of the module with its labs in course order.
type Part struct {
	ID    string
	Title string
	Items []CourseItem
}

// CourseItem is one lab or concept page on the course path, with the learner's progress.
type CourseItem struct {
	// ID is the lab id; the item links to /labs/{ID}.
	ID      string
	Title   string
	Summary string
	// Kind is "lab" (hands-on, graded) or "concept" (reading page, diagram and quiz).
	Kind string
	// Steps is the number of steps; Passed how many of them the learner has passed.
	Steps, Passed int
	// QuizID is the lab's quiz ("" if none); QuizAnswered of QuizTotal questions are answered.
	QuizID                  string
	QuizAnswered, QuizTotal int
}

// LabView is one lab page, showing one step.
type LabView struct {
	Page
	LabID   string
	Title   string
	Summary string
	Steps   []StepView
	// Current is the index in Steps of the step shown.
	Current int
	// QuizID is the lab's quiz ("" if none), linked at /quizzes/{QuizID}.
	QuizID string
	// PrevLab and NextLab are the ids of the neighbouring labs on the course path ("" if none).
	PrevLab, NextLab string
}

// StepView is one step of a lab with the learner's latest verdict.
type StepView struct {
	ID    string
	Title string
	// HTML is the step text rendered with RenderMarkdownLang (trusted: it is put in the page as is).
	HTML template.HTML
	// Diagram is the step's diagram name (cluster-map, control-loop, service-routing,
	// rolling-update, why-pending, timeline, architecture) or "none".
	Diagram string
	// Graded reports whether checks grade the step (false for a reading step).
	// Passed reports whether the step is passed (a reading step once the learner opened it).
	// Score is passed checks / all checks of the latest verdict (0 if none).
	// A step that is not passed shows "not started" until it has a verdict (a passed check,
	// a check message or a score above 0), then "not yet".
	Graded, Passed bool
	// Held reports whether a pass of the step is held (it passed earlier and was not reset
	// since); Changed whether the checker fails it now all the same (the cluster has changed).
	Held, Changed bool
	Score         float64
	// Checks are the step's checks with their latest results (none for a reading step).
	Checks []CheckView
	// Hint is a hint to show at once (Markdown, rendered on the page), "" for none.
	Hint string
}

// CheckView is one check of a step and its latest result.
type CheckView struct {
	ID     string
	Passed bool
	// Message says why the check fails ("" when it passes or was not run).
	Message string
	// ConsoleOnly marks a check on the learner's kubelab console commands,
	// which commands typed in their own terminal (local mode) cannot pass.
	ConsoleOnly bool
}

// QuizView is a quiz page.
type QuizView struct {
	Page
	QuizID string
	Title  string
	// LabID is the lab the quiz belongs to ("" if none), linked at /labs/{LabID}.
	LabID     string
	Questions []QuestionView
}

// QuestionView is one question with the learner's latest answer.
type QuestionView struct {
	ID     string
	Prompt string
	// Live questions are answered with free text read from the learner's own cluster.
	Live    bool
	Choices []ChoiceView
	// Answered reports whether the learner has answered; Answer is their answer (a choice id,
	// or the text of a live answer) and Correct whether it was right.
	Answered bool
	Answer   string
	Correct  bool
	// Expected is the right answer: a choice id (shown as that choice's text) or the text of
	// the right live answer ("" to show none).
	Expected string
	// Explanation is shown once the question is answered (trusted HTML).
	Explanation template.HTML
}

// ChoiceView is one choice of a multiple-choice question.
type ChoiceView struct {
	ID   string
	Text string
}

// ErrorView is an error page.
type ErrorView struct {
	Page
	// Code is the HTTP status code.
	Code int
	// Message is a plain explanation for the learner ("" for the default one of the code).
	Message string
	// Ref is the reference under which the server logged the cause of an
	// internal error ("" for none).
	Ref string
}
