# Lesson 4: Sing the words! Each syllable says WHEN it starts, how LONG it lasts and if it
# is STRONG. The ears box each new line, the singer sings the boxes in order (1, 2, 3...).
live_loop :ears do
  use_real_time
  lyric = sync "/osc*/lyricbridge/line"
  box = get(:kids_heard, 0) + 1
  set "/kids/box/#{box}", lyric                 # keep the line safe in its box
  set :kids_heard, box
end
live_loop :singer, init: nil do |box|
  use_bpm 60                                    # our clock first: sleep 0.25 = a quarter second
  box ||= get(:kids_heard, 0) + 1               # the first time: the next new line
  sleep 0.25 until get("/kids/box/#{box}")      # box still empty? wait and look again
  lyric = get("/kids/box/#{box}")
  use_bpm lyric[1]
  now = 0
  lyric[3].times do |i|                         # every syllable has 5 things; we use 3
    stress, start, length = lyric[6 + 5 * i], lyric[7 + 5 * i], lyric[8 + 5 * i]
    sleep start - now                           # wait until this syllable starts
    now = start
    play (stress > 0 ? :b4 : :e4), amp: (stress > 0 ? 1 : 0.5), release: length
  end
  sleep lyric[2] * 4 - now                      # rest till the end: 4 beats in every bar
  box + 1                                       # next time round, sing the next box
end
