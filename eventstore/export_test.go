package eventstore

// SetBeforePublish makes every later Append on s call hook between its
// sequence check and its publish, so a test can append in between.
func SetBeforePublish(s *Store, hook func()) {
	s.beforePublish = hook
}
