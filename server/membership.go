package server

import (
	"context"
	"time"
)

// memberClasses returns the ids of the classes the user is an active
// member of (cached for a few seconds; joins and removals refresh it).
func (s *Server) memberClasses(ctx context.Context, userID int64) []int64 {
	c := s.class
	c.mu.Lock()
	e, ok := c.members[userID]
	c.mu.Unlock()
	if ok && time.Since(e.at) < membershipTTL {
		return e.classes
	}
	classes, err := s.cfg.Store.ClassesByMember(ctx, userID)
	if err != nil {
		s.log.Warn("memberships", "user", userID, "err", err)
		return e.classes
	}
	ids := make([]int64, 0, len(classes))
	for _, cl := range classes {
		ids = append(ids, cl.ID)
	}
	c.mu.Lock()
	if len(c.members) > 50_000 {
		clear(c.members)
	}
	c.members[userID] = memberEntry{classes: ids, at: time.Now()}
	c.mu.Unlock()
	return ids
}

// membersChanged forgets a user's cached memberships and tells the class's
// dashboards that the roster changed.
func (s *Server) membersChanged(classID, userID int64) {
	s.class.mu.Lock()
	delete(s.class.members, userID)
	s.class.mu.Unlock()
	s.class.hub.publish(classID, userMsg{Type: "roster", User: userID})
}
