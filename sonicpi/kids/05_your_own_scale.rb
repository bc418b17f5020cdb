# Lesson 5: Your own scale
#
# A scale is a family of notes that sound good together.
# scale(:e4, :minor_pentatonic) means: start on the note E and use the
# "minor pentatonic" family. It has five notes: E G A B D.
# num_octaves: 2 means go round the family twice: once low, once high.
# YOU pick the family! Change :minor_pentatonic to another one, then press Run.
# Some to try: :major (happy), :minor (a bit sad), :blues_minor, :hirajoshi
# If a new line comes while we are still playing, we miss it. That's OK!

live_loop :my_tune do
  use_real_time
  lyric = sync "/osc*/lyricbridge/line"
  use_bpm lyric[1]
  my_notes = scale(:e4, :minor_pentatonic, num_octaves: 2)   # <- your scale
  lyric[3].times do                         # once for every syllable
    play my_notes.tick                      # the next note of your scale
    sleep 0.5
  end
end

# Try this:
#  * Change :e4 to :c4 to start your scale on the note C.
#  * Use my_notes.choose instead of my_notes.tick: a surprise note each time!
