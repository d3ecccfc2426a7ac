package web

import "time"

// View models of class mode's pages: sign-in, joining, the learner's resume link and the
// instructor's classes, dashboard and student pages (class.templ).

// LoginView is the instructors' sign-in page.
type LoginView struct {
	Page
	// Email is the address typed (kept after a failure).
	Email string
	// Next is the local path to go to after signing in.
	Next string
	// Error is a failure to show ("" for none).
	Error string
}

// JoinView is the page where a learner joins a class with its code and a display name.
type JoinView struct {
	Page
	// Code is the join code (from /join/{code} or the form); ClassName the class it opens, if known.
	Code, ClassName string
	// Name is the display name typed.
	Name string
	// Error is a failure to show; Notice a neutral message (signed out, removed).
	Error, Notice string
}

// WelcomeView shows a learner their resume link (Welcome: right after joining or making a new
// one) or their own page (Me).
type WelcomeView struct {
	Page
	// ResumeURL is the learner's new resume link ("" when there is none to show: it is shown once).
	ResumeURL string
	// Classes are the names of the learner's classes.
	Classes []string
	// Me is the learner's own page rather than the welcome page.
	Me bool
}

// ResumeView asks a learner who opened their resume link to continue (POST Action).
type ResumeView struct {
	Page
	// Name is the learner's display name; Action the link's path.
	Name, Action string
}

// ClassSummary is one class in the instructor's list and on its dashboard.
type ClassSummary struct {
	ID       int64
	Name     string
	JoinCode string
	// JoinURL is the absolute link learners open to join.
	JoinURL   string
	Closed    bool
	Members   int
	CreatedAt time.Time
	// SeatLimit is how many students may join (0 = no limit).
	SeatLimit int
}

// ClassListView is the instructor's classes and the form for a new one.
type ClassListView struct {
	Page
	Classes []ClassSummary
	// Name is the class name typed (kept after an error); Error the error.
	Name, Error string
}

// DashboardView is a class's dashboard.
type DashboardView struct {
	Page
	Class ClassSummary
	// WarmReady and WarmStarting count the server's warm sandboxes, kept for
	// the students the open classes still expect.
	WarmReady, WarmStarting int
	// Labs are the heat map's column groups (the course order); Lab is the lab shown alone
	// ("" for all), LabOptions every lab for the filter.
	Labs       []HeatLab
	Lab        string
	LabOptions []LabOption
	// Rows are the students, one heat map row each.
	Rows []HeatRow
	// Quizzes are the class's quiz results.
	Quizzes []QuizStat
	// Plot is the class's completion over time.
	Plot CompletionPlot
	// Notice is the outcome of the last action ("" for none).
	Notice string
	// Zones are the sandboxes' availability zones, for the class-wide
	// zone outage drill.
	Zones []string
}

// LabOption is one lab in the dashboard's lab filter.
type LabOption struct {
	ID, Title string
}

// HeatLab is a lab's group of heat map columns.
type HeatLab struct {
	ID, Title string
	Steps     []HeatStep
}

// HeatStep is one heat map column.
type HeatStep struct {
	ID, Title string
	// Graded steps have checks; the others are passed by reading them.
	Graded bool
}

// HeatRow is one student's row.
type HeatRow struct {
	UserID int64
	Name   string
	// Sandbox is the state of the student's sandbox: starting, ready, stopped, failed or "" (none
	// yet); SandboxMessage details it.
	Sandbox, SandboxMessage string
	// LastSeen is the student's last activity (zero: never).
	LastSeen time.Time
	// Passed of Total steps (of the labs shown) are passed.
	Passed, Total int
	// Cells follow the columns of Labs.
	Cells []HeatCell
}

// HeatCell is one student's standing on one step.
type HeatCell struct {
	Lab, Step string
	// State is passed, failed or pending (not started).
	State string
	// Message is the failing checks' message ("" if none).
	Message string
	// Name is "Lab › Step"; Title the cell's hover text: Name, the state and the message.
	Name, Title string
}

// QuizStat is a quiz's results in a class.
type QuizStat struct {
	ID, Title string
	Questions []QuestionStat
}

// QuestionStat is one question: how many answered, how many rightly, and the answers given.
type QuestionStat struct {
	ID, Prompt     string
	Total, Correct int
	Answers        []AnswerStat
}

// AnswerStat is one answer given and how many students give it now.
type AnswerStat struct {
	Text    string
	Correct bool
	Count   int
	// Percent is Count of the question's Total, 0-100.
	Percent int
}

// StudentView is one student's page for their instructor.
type StudentView struct {
	Page
	Class ClassSummary
	Row   HeatRow
	// Labs group Row.Cells as on the dashboard.
	Labs     []HeatLab
	JoinedAt time.Time
	Console  []ConsoleLine
	Hints    []HintLine
	// Notice is the outcome of the last action ("" for none).
	Notice string
}

// ConsoleLine is one command of a student's console history.
type ConsoleLine struct {
	Command  string
	ExitCode int
	Output   string
	At       time.Time
}

// HintLine is one hint given to a student.
type HintLine struct {
	Text string
	At   time.Time
	Read bool
}
