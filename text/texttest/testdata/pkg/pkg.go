package pkg

func f(key string) {
	msg("plain")
	msg("formatted").Format(1)
	msg("missing")
	msg(key)
	msg("not-formatted")
	msg("few-args").Format("a")
	msg("spread").Format(args...)
}
