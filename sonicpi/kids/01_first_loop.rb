# Lesson 1: Your first loop
#
# A live_loop is music that goes round and round, for ever.
# This one waits for the bridge to send a lyric: one line of a song.
# When a lyric comes, it plays ONE note. Then it goes round
# and waits for the next one.
#
# Press Run, then start the bridge. You will hear a note
# for every line of the song.

live_loop :bell do
  use_real_time                           # play the moment a line comes in
  lyric = sync "/osc*/lyricbridge/line"   # wait here for the next line
  words = lyric[4].dup.force_encoding("UTF-8")
  puts words                              # show the words in the log
  play :e4                                # play one note: E
end

# Try this:
#  * Change :e4 to :g4 and press Run again. The note changes!
#  * Add a new line under it: play :b4. Now two notes play at once!
